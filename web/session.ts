/**
 * Who is signed in, from App Service authentication's `/.auth/me` (the local host emulates it):
 * `[{provider_name, user_id, user_claims:[{typ,val}]}]`, or 401 (or `[]`) when nobody is. Pages
 * send the browser to `/.auth/login/aad` themselves, since App Service's unauthenticated action
 * cannot tell pages from API calls.
 */
import { ADMIN_ROLE } from './constants';

export interface Me {
  id: string;
  name: string;
  roles: string[];
  isAdmin: boolean;
}

const OBJECT_ID_CLAIMS = ['http://schemas.microsoft.com/identity/claims/objectidentifier', 'oid'];
const ROLE_CLAIMS = ['roles', 'http://schemas.microsoft.com/ws/2008/06/identity/claims/role'];
const NAME_CLAIMS = ['preferred_username', 'name', 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn'];

interface AuthMeEntry {
  provider_name?: string;
  user_id?: string;
  user_claims?: Array<{ typ?: unknown; val?: unknown }>;
}

/** The signed-in person, or undefined when nobody is. */
export function meFrom(body: unknown): Me | undefined {
  const entry = (Array.isArray(body) ? body[0] : undefined) as AuthMeEntry | undefined;
  if (!entry || typeof entry !== 'object') return undefined;
  const claims = (entry.user_claims ?? []).filter((c): c is { typ: string; val: string } => typeof c?.typ === 'string' && typeof c?.val === 'string');
  const first = (types: string[]) => claims.find((c) => types.includes(c.typ))?.val;
  const id = first(OBJECT_ID_CLAIMS);
  const name = entry.user_id ?? first(NAME_CLAIMS);
  if (!id || !name) return undefined;
  const roles = [...new Set(claims.filter((c) => ROLE_CLAIMS.includes(c.typ)).map((c) => c.val))];
  return { id: id.toLowerCase(), name, roles, isAdmin: roles.includes(ADMIN_ROLE) };
}

export async function whoAmI(): Promise<Me | undefined> {
  const response = await fetch('/.auth/me', { credentials: 'same-origin', headers: { accept: 'application/json' } });
  if (response.status === 401 || response.status === 403) return undefined;
  if (!response.ok) throw new Error(`/.auth/me answered ${response.status}: is App Service authentication on?`);
  return meFrom(await response.json());
}

/** To sign-in, and back to this page afterwards. */
export function signIn(): void {
  const back = `${location.pathname}${location.search}`;
  location.assign(`/.auth/login/aad?post_login_redirect_uri=${encodeURIComponent(back)}`);
}

export const SIGN_OUT_URL = '/.auth/logout?post_logout_redirect_uri=/';
