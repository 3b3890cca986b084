/**
 * Who is calling: decodes the App Service authentication (Easy Auth) headers into a Caller.
 * `request.user` of @azure/functions reads the same headers but throws when one of them is
 * missing, so we decode them ourselves, defensively: anything malformed means "no identity".
 *
 * These headers are trustworthy only because App Service authentication strips any
 * client-sent `x-ms-client-principal*` headers before the request reaches the app; the app
 * refuses to serve the API deployed without it. The local host passes them through from the
 * client on purpose (that is how local users sign in).
 */
import { isGuid } from './armIds';
import { UnauthenticatedError } from './errors';

export interface Caller {
  /** Entra object id, lower case. */
  id: string;
  /** UPN (`alice@contoso.test`). */
  name: string;
  /** Values of the `roles` claims (app roles). */
  roles: string[];
  /** Holds the `AccessManager.Admin` app role. */
  isAdmin: boolean;
}

export const ADMIN_ROLE = 'AccessManager.Admin';

export const PRINCIPAL_HEADERS = {
  id: 'x-ms-client-principal-id',
  name: 'x-ms-client-principal-name',
  idp: 'x-ms-client-principal-idp',
  principal: 'x-ms-client-principal',
} as const;

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{2,3})?$/;
const ROLE_CLAIM_TYPES = ['roles', 'http://schemas.microsoft.com/ws/2008/06/identity/claims/role'];
const OBJECT_ID_CLAIM_TYPES = ['http://schemas.microsoft.com/identity/claims/objectidentifier', 'oid'];
/** Header values are capped by Node at 16 KiB in total; this only bounds our own work. */
const MAX_PRINCIPAL_LENGTH = 32 * 1024;

/** Anything with request headers (an @azure/functions HttpRequest, a fetch Request). */
type HeaderSource = { headers: Pick<Headers, 'get'> };

export function callerFromRequest(request: HeaderSource): Caller | undefined {
  return callerFromHeaders(request.headers);
}

export function requireCaller(request: HeaderSource): Caller {
  const caller = callerFromRequest(request);
  if (!caller) throw new UnauthenticatedError();
  return caller;
}

export function callerFromHeaders(headers: Pick<Headers, 'get'>): Caller | undefined {
  const id = headers.get(PRINCIPAL_HEADERS.id)?.trim();
  const name = headers.get(PRINCIPAL_HEADERS.name)?.trim();
  const encoded = headers.get(PRINCIPAL_HEADERS.principal)?.trim();
  if (!id || !isGuid(id) || !name || !encoded) return undefined;
  const principal = decodePrincipal(encoded);
  if (!principal) return undefined;

  const claims = readClaims(principal.claims);
  const roleTypes = new Set(ROLE_CLAIM_TYPES);
  if (typeof principal.role_typ === 'string' && principal.role_typ.length > 0) roleTypes.add(principal.role_typ);
  // A principal whose object id claim contradicts the id header is forged or garbled: no identity.
  // Entra issues one object id per token; a principal carrying two (in either spelling) is not one
  // Easy Auth built, and checking only the first would let a second one ride along: no identity.
  const objectIdClaims = claims.filter((c) => OBJECT_ID_CLAIM_TYPES.includes(c.typ));
  if (objectIdClaims.length > 1) return undefined;
  const claimedObjectId = objectIdClaims[0]?.val;
  if (claimedObjectId !== undefined && claimedObjectId.toLowerCase() !== id.toLowerCase()) return undefined;

  const roles = [...new Set(claims.filter((c) => roleTypes.has(c.typ)).map((c) => c.val))];
  return { id: id.toLowerCase(), name, roles, isAdmin: roles.includes(ADMIN_ROLE) };
}

/** The claims Easy Auth knows a user by (object id, names, app roles), as in `x-ms-client-principal` and `/.auth/me`. */
export function principalClaims(user: { id: string; name: string; roles?: string[] }): { typ: string; val: string }[] {
  return [
    { typ: 'http://schemas.microsoft.com/identity/claims/objectidentifier', val: user.id },
    { typ: 'name', val: user.name },
    { typ: 'preferred_username', val: user.name },
    ...(user.roles ?? []).map((role) => ({ typ: 'roles', val: role })),
  ];
}

/** Builds the headers Easy Auth would send for a user; used by local tools, the simulator and tests. */
export function principalHeaders(user: { id: string; name: string; roles?: string[] }): Record<string, string> {
  const principal = { auth_typ: 'aad', claims: principalClaims(user), name_typ: 'name', role_typ: 'roles' };
  return {
    [PRINCIPAL_HEADERS.id]: user.id,
    [PRINCIPAL_HEADERS.name]: user.name,
    [PRINCIPAL_HEADERS.idp]: 'aad',
    [PRINCIPAL_HEADERS.principal]: Buffer.from(JSON.stringify(principal), 'utf8').toString('base64'),
  };
}

function decodePrincipal(encoded: string): Record<string, unknown> | undefined {
  if (encoded.length > MAX_PRINCIPAL_LENGTH || !BASE64.test(encoded)) return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(encoded, 'base64').toString('utf8'));
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
    return value as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

function readClaims(raw: unknown): { typ: string; val: string }[] {
  if (!Array.isArray(raw)) return [];
  const claims: { typ: string; val: string }[] = [];
  for (const entry of raw) {
    if (entry === null || typeof entry !== 'object') continue;
    const { typ, val } = entry as { typ?: unknown; val?: unknown };
    if (typeof typ === 'string' && typeof val === 'string') claims.push({ typ, val });
  }
  return claims;
}
