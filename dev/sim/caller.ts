/**
 * Who is calling: header `x-sim-caller`, else the bearer token's `oid`, else dave (the usual
 * out-of-band actor of API.md). A bearer token that cannot be decoded is refused with 401,
 * as ARM and Graph refuse a malformed token.
 */
import { LOCAL_TENANT_ID, PEOPLE } from '../tenant';
import { decodeSimToken, type SimTokenClaims } from './credential';
import type { Directory, PrincipalType } from './directory';
import { header, SimHttpError, type SimRequest } from './http';
import { ACCESS_MANAGER_APP_ID, AZURE_CLI_APP_ID } from './seed';

export interface Caller {
  objectId: string;
  /** What the directory knows the caller as; undefined for an id the tenant does not have. */
  principalType: PrincipalType | undefined;
  upn: string | undefined;
  appId: string;
  tenantId: string;
}

/** Clients reuse one token for an hour: decoding it once per token keeps the request path lean. */
const tokenCache = new Map<string, SimTokenClaims | null>();
const TOKEN_CACHE_LIMIT = 256;

function decodeCached(token: string): SimTokenClaims | null {
  const hit = tokenCache.get(token);
  if (hit !== undefined) return hit;
  const decoded = decodeSimToken(token) ?? null;
  if (tokenCache.size >= TOKEN_CACHE_LIMIT) tokenCache.clear();
  tokenCache.set(token, decoded);
  return decoded;
}

export function resolveCaller(req: SimRequest, directory: Directory): Caller {
  const authorization = header(req, 'authorization');
  let token: SimTokenClaims | undefined;
  if (authorization !== undefined) {
    const m = /^Bearer\s+(.+)$/i.exec(authorization.trim());
    const decoded = m?.[1] ? decodeCached(m[1]) : null;
    if (!decoded) {
      throw new SimHttpError(401, 'InvalidAuthenticationToken', 'The access token is invalid: it is not a JWT whose payload carries an oid claim (use simCredential(objectId)).');
    }
    token = decoded;
  }
  const named = header(req, 'x-sim-caller')?.trim();
  const objectId = named || token?.oid || PEOPLE.dave;
  const known = directory.get(objectId);
  const fromToken = token && token.oid.toLowerCase() === objectId.toLowerCase() ? token : undefined;
  const upn = known?.kind === 'User' ? known.userPrincipalName : fromToken?.upn;
  const appId =
    fromToken?.appid ?? (known?.kind === 'ServicePrincipal' ? known.appId : objectId.toLowerCase() === PEOPLE.accessManager ? ACCESS_MANAGER_APP_ID : AZURE_CLI_APP_ID);
  return {
    objectId: known?.id ?? objectId,
    principalType: known?.kind,
    upn,
    appId,
    tenantId: fromToken?.tid ?? LOCAL_TENANT_ID,
  };
}

/** The caller's claims as ARM puts them in an event's `data.claims`. */
export function eventClaimsOf(caller: Caller, clientIp: string): Record<string, string> {
  const claims: Record<string, string> = {
    aud: 'https://management.core.windows.net/',
    iss: `https://sts.windows.net/${caller.tenantId}/`,
    appid: caller.appId,
    ipaddr: clientIp,
    'http://schemas.microsoft.com/identity/claims/objectidentifier': caller.objectId,
  };
  if (caller.upn) claims['http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn'] = caller.upn;
  claims['http://schemas.microsoft.com/identity/claims/tenantid'] = caller.tenantId;
  return claims;
}
