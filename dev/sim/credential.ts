/**
 * Identities on simulated calls. `simCredential` mints unsigned JWTs (alg "none") that the
 * real SDK clients send as bearer tokens; the simulator reads `oid` from them to tell the
 * app's managed identity from people. Nothing here is a security boundary.
 */
import type { AccessToken, GetTokenOptions, TokenCredential } from '@azure/core-auth';
import { LOCAL_TENANT_ID, PEOPLE } from '../tenant';
import { ACCESS_MANAGER_APP_ID, AZURE_CLI_APP_ID, seedUpnOf } from './seed';

export interface SimTokenClaims {
  oid: string;
  tid: string;
  appid: string;
  upn?: string;
  /** Seconds since the epoch. */
  exp: number;
  iat?: number;
  aud?: string;
  iss?: string;
  idtyp?: 'user' | 'app';
}

const TOKEN_LIFETIME_S = 3600;

function base64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** An unsigned JWT carrying `claims`. */
export function encodeSimToken(claims: SimTokenClaims): string {
  return `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url(claims)}.`;
}

/** The claims of a token minted by `encodeSimToken`, or undefined when it is not one (no `oid`, not JSON). */
export function decodeSimToken(token: string): SimTokenClaims | undefined {
  const parts = token.split('.');
  if (parts.length < 2 || !parts[1]) return undefined;
  try {
    const payload: unknown = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
    if (typeof payload !== 'object' || payload === null) return undefined;
    const p = payload as Record<string, unknown>;
    if (typeof p.oid !== 'string' || p.oid.length === 0) return undefined;
    return {
      oid: p.oid,
      tid: typeof p.tid === 'string' ? p.tid : LOCAL_TENANT_ID,
      appid: typeof p.appid === 'string' ? p.appid : AZURE_CLI_APP_ID,
      upn: typeof p.upn === 'string' ? p.upn : undefined,
      exp: typeof p.exp === 'number' ? p.exp : 0,
      ...(typeof p.aud === 'string' ? { aud: p.aud } : {}),
      idtyp: p.idtyp === 'app' ? 'app' : p.idtyp === 'user' ? 'user' : undefined,
    };
  } catch {
    return undefined;
  }
}

/** The claims the simulator's tenant would issue to `objectId`. */
export function simClaimsFor(objectId: string, overrides: Partial<SimTokenClaims> = {}): SimTokenClaims {
  const now = Math.floor(Date.now() / 1000);
  const isApp = objectId.toLowerCase() === PEOPLE.accessManager;
  const upn = seedUpnOf(objectId);
  return {
    oid: objectId,
    tid: LOCAL_TENANT_ID,
    appid: isApp ? ACCESS_MANAGER_APP_ID : AZURE_CLI_APP_ID,
    ...(upn ? { upn } : {}),
    iat: now,
    exp: now + TOKEN_LIFETIME_S,
    iss: `https://sts.windows.net/${LOCAL_TENANT_ID}/`,
    idtyp: isApp ? 'app' : 'user',
    ...overrides,
  };
}

/**
 * A TokenCredential for the real Azure SDK clients that identifies its holder as
 * `objectId` to the simulator (e.g. `PEOPLE.accessManager` for the app's own calls).
 */
export function simCredential(objectId: string, overrides: Partial<SimTokenClaims> = {}): TokenCredential {
  return {
    async getToken(scopes: string | string[], _options?: GetTokenOptions): Promise<AccessToken> {
      const scope = Array.isArray(scopes) ? scopes[0] : scopes;
      const aud = scope ? scope.replace(/\/?\.default$/, '') : undefined;
      const claims = simClaimsFor(objectId, { ...(aud ? { aud } : {}), ...overrides });
      return { token: encodeSimToken(claims), expiresOnTimestamp: claims.exp * 1000 };
    },
  };
}
