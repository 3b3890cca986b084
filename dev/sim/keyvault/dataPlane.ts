/**
 * A vault's data plane as the real `@azure/keyvault-secrets` SecretClient speaks to it, one HTTPS
 * server per vault: challenge-based authentication (the first request carries no token and must
 * get 401 with `WWW-Authenticate: Bearer authorization=..., resource=...`), secrets set, read,
 * listed (metadata only, paged with nextLink) and updated, authorised by the vault's permission
 * model (RBAC data actions, or its access policies), and a `Microsoft.KeyVault.*` event for every
 * new version. `checkExpiry` emits SecretNearExpiry (30 days ahead) and SecretExpired, as Azure does
 * on its own schedule.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { isWithinScope, roleDefinitionGuid, scopeKey } from '../../../shared/domain/armIds';
import { patternMatches } from '../../../shared/domain/suggestions/operations';
import { decodeSimToken } from '../credential';
import { toKeyVaultEvent } from '../events/keyVaultEvent';
import type { SimKnobs } from '../knobs';
import type { ArmResource } from '../seed';
import type { SimState } from '../state';
import type { SimSecretVersion } from './store';

const NEAR_EXPIRY_SECONDS = 30 * 86_400;
const NAME = /^[0-9a-zA-Z-]{1,127}$/;

class VaultError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

interface Operation {
  dataAction: string;
  /** Access-policy permission that allows it. */
  permission: 'get' | 'list' | 'set';
}

const OPS = {
  set: { dataAction: 'Microsoft.KeyVault/vaults/secrets/setSecret/action', permission: 'set' },
  get: { dataAction: 'Microsoft.KeyVault/vaults/secrets/getSecret/action', permission: 'get' },
  list: { dataAction: 'Microsoft.KeyVault/vaults/secrets/readMetadata/action', permission: 'list' },
  update: { dataAction: 'Microsoft.KeyVault/vaults/secrets/update/action', permission: 'set' },
} satisfies Record<string, Operation>;

interface VaultContext {
  state: SimState;
  knobs: SimKnobs;
  vaultId: string;
  origin: string;
}

function vaultOf(ctx: VaultContext): ArmResource {
  const vault = ctx.state.resources.get(scopeKey(ctx.vaultId));
  if (!vault) throw new VaultError(404, 'VaultNotFound', `The vault ${ctx.vaultId} does not exist (any more).`);
  return vault;
}

/** RBAC: a role held by the caller (or one of its groups) at or above the vault grants the data action. */
function dataActionAllowed(state: SimState, principalId: string, scope: string, dataAction: string): boolean {
  const principals = [principalId, ...state.directory.transitiveGroupIdsOf(principalId)];
  for (const principal of principals) {
    for (const assignment of state.assignments.ofPrincipal(principal)) {
      if (!isWithinScope(scope, assignment.properties.scope)) continue;
      const guid = roleDefinitionGuid(assignment.properties.roleDefinitionId);
      const role = guid ? state.roleDefinitions.get(guid) : undefined;
      if (!role) continue;
      if (role.blocks.some((b) => b.condition === undefined && b.dataActions.some((a) => patternMatches(a, dataAction)) && !b.notDataActions.some((a) => patternMatches(a, dataAction)))) return true;
    }
  }
  return false;
}

function authorize(ctx: VaultContext, principalId: string, op: Operation): void {
  const vault = vaultOf(ctx);
  const properties = vault.properties;
  if (properties['enableRbacAuthorization'] === true) {
    if (dataActionAllowed(ctx.state, principalId, ctx.vaultId, op.dataAction)) return;
    throw new VaultError(403, 'Forbidden', `Caller is not authorized to perform action on resource. Action: '${op.dataAction}'. Caller: oid=${principalId}. Vault: ${vault.name}. (ForbiddenByRbac)`);
  }
  const groups = new Set([principalId.toLowerCase(), ...ctx.state.directory.transitiveGroupIdsOf(principalId).map((g) => g.toLowerCase())]);
  const policies = (properties['accessPolicies'] as Array<{ objectId?: string; permissions?: { secrets?: string[] } }> | undefined) ?? [];
  const allowed = policies.some((p) => groups.has((p.objectId ?? '').toLowerCase()) && (p.permissions?.secrets ?? []).some((s) => s.toLowerCase() === 'all' || s.toLowerCase() === op.permission));
  if (!allowed) throw new VaultError(403, 'Forbidden', `The user, group or application 'oid=${principalId}' does not have secrets ${op.permission} permission on key vault '${vault.name}'. (ForbiddenByPolicy)`);
}

/** The caller from the bearer token; no token: the challenge every new SecretClient expects. */
function callerOf(ctx: VaultContext, req: IncomingMessage): string {
  const header = req.headers.authorization;
  const challenge = {
    'WWW-Authenticate': `Bearer authorization="https://login.microsoftonline.com/${ctx.state.tenantId}", resource="https://vault.azure.net"`,
  };
  if (!header) throw new VaultError(401, 'Unauthorized', 'AKV10000: Request is missing a Bearer or PoP token.', challenge);
  const m = /^Bearer\s+(.+)$/i.exec(header.trim());
  const claims = m?.[1] ? decodeSimToken(m[1]) : undefined;
  if (!claims) throw new VaultError(401, 'Unauthorized', 'AKV10022: Invalid audience or token (use simCredential(objectId)).', challenge);
  return claims.oid;
}

function secretId(ctx: VaultContext, name: string, version?: string): string {
  return `${ctx.origin}/secrets/${name}${version ? `/${version}` : ''}`;
}

function attributes(v: SimSecretVersion, recoverable = true): Record<string, unknown> {
  return {
    enabled: v.enabled,
    ...(v.nbf !== undefined ? { nbf: v.nbf } : {}),
    ...(v.exp !== undefined ? { exp: v.exp } : {}),
    created: v.created,
    updated: v.updated,
    recoveryLevel: recoverable ? 'Recoverable+Purgeable' : 'Purgeable',
    recoverableDays: 90,
  };
}

function bundle(ctx: VaultContext, name: string, v: SimSecretVersion, withValue: boolean): Record<string, unknown> {
  return {
    ...(withValue ? { value: v.value } : {}),
    id: secretId(ctx, name, v.version),
    ...(v.contentType ? { contentType: v.contentType } : {}),
    tags: v.tags,
    attributes: attributes(v),
  };
}

function item(ctx: VaultContext, name: string, v: SimSecretVersion, withVersion: boolean): Record<string, unknown> {
  return { id: secretId(ctx, name, withVersion ? v.version : undefined), ...(v.contentType ? { contentType: v.contentType } : {}), tags: v.tags, attributes: attributes(v) };
}

function page(ctx: VaultContext, url: URL, all: Record<string, unknown>[]): Record<string, unknown> {
  const size = Math.max(1, ctx.knobs.pageSize);
  const skip = Number(url.searchParams.get('$skiptoken') ?? '0');
  const start = Number.isInteger(skip) && skip >= 0 ? skip : 0;
  const value = all.slice(start, start + size);
  let nextLink: string | null = null;
  if (start + size < all.length) {
    const next = new URL(url.pathname, ctx.origin);
    next.searchParams.set('api-version', url.searchParams.get('api-version') ?? '2025-07-01');
    next.searchParams.set('$skiptoken', String(start + size));
    nextLink = next.toString();
  }
  return { value, nextLink };
}

const unixSeconds = (v: unknown, field: string): number | undefined => {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new VaultError(400, 'BadParameter', `attributes.${field} must be Unix seconds.`);
  return Math.floor(v);
};

function emitNewVersion(ctx: VaultContext, name: string, v: SimSecretVersion): void {
  if (!ctx.knobs.emitEvents) return;
  const vault = vaultOf(ctx);
  ctx.state.keyVaults.publish(
    toKeyVaultEvent({
      eventType: 'Microsoft.KeyVault.SecretNewVersionCreated',
      vaultId: vault.id,
      vaultName: vault.name,
      objectType: 'Secret',
      objectName: name,
      objectUrl: secretId(ctx, name, v.version),
      version: v.version,
      ...(v.nbf !== undefined ? { nbf: v.nbf } : {}),
      ...(v.exp !== undefined ? { exp: v.exp } : {}),
    }),
  );
}

function handle(ctx: VaultContext, method: string, url: URL, body: unknown, principalId: string): { status: number; body: unknown } {
  const parts = url.pathname.split('/').filter((p) => p.length > 0).map(decodeURIComponent);
  if (parts[0]?.toLowerCase() !== 'secrets') throw new VaultError(404, 'NotFound', `The simulated vault serves only /secrets (got ${url.pathname}).`);
  const secrets = ctx.state.keyVaults.secretsOf(ctx.vaultId);
  const name = parts[1];
  if (name === undefined) {
    if (method !== 'GET') throw new VaultError(405, 'MethodNotAllowed', `${method} /secrets is not supported.`);
    authorize(ctx, principalId, OPS.list);
    const current = [...secrets.values()].filter((s) => s.versions.length > 0).sort((a, b) => a.name.localeCompare(b.name));
    return { status: 200, body: page(ctx, url, current.map((s) => item(ctx, s.name, s.versions[s.versions.length - 1]!, false))) };
  }
  if (!NAME.test(name)) throw new VaultError(400, 'BadParameter', `The secret name '${name}' is invalid: use 1-127 letters, digits and dashes.`);
  const secret = secrets.get(name.toLowerCase());
  const notFound = () => new VaultError(404, 'SecretNotFound', `A secret with (name/id) ${name}${parts[2] ? `/${parts[2]}` : ''} was not found in this key vault. If you recently deleted this secret you may be able to recover it using the correct recovery command.`);
  if (method === 'PUT' && parts.length === 2) {
    authorize(ctx, principalId, OPS.set);
    const b = (body ?? {}) as { value?: unknown; contentType?: unknown; tags?: unknown; attributes?: Record<string, unknown> };
    if (typeof b.value !== 'string') throw new VaultError(400, 'BadParameter', 'The request body must carry the secret value as a string.');
    const attrs = b.attributes ?? {};
    const nbf = unixSeconds(attrs['nbf'], 'nbf');
    const exp = unixSeconds(attrs['exp'], 'exp');
    const v = ctx.state.keyVaults.setSecret(ctx.vaultId, secret?.name ?? name, {
      value: b.value,
      ...(typeof b.contentType === 'string' ? { contentType: b.contentType } : {}),
      tags: typeof b.tags === 'object' && b.tags !== null ? (b.tags as Record<string, string>) : {},
      enabled: attrs['enabled'] !== false,
      ...(nbf !== undefined ? { nbf } : {}),
      ...(exp !== undefined ? { exp } : {}),
    });
    emitNewVersion(ctx, secret?.name ?? name, v);
    return { status: 200, body: bundle(ctx, secret?.name ?? name, v, true) };
  }
  if (!secret || secret.versions.length === 0) throw notFound();
  if (method === 'GET' && parts[2]?.toLowerCase() === 'versions' && parts.length === 3) {
    authorize(ctx, principalId, OPS.list);
    return { status: 200, body: page(ctx, url, secret.versions.map((v) => item(ctx, secret.name, v, true))) };
  }
  const version = parts[2] === undefined || parts[2] === '' ? secret.versions[secret.versions.length - 1] : secret.versions.find((v) => v.version === parts[2]!.toLowerCase());
  if (!version || parts.length > 3) throw notFound();
  if (method === 'GET') {
    authorize(ctx, principalId, OPS.get);
    if (!version.enabled) throw new VaultError(403, 'Forbidden', `Operation get is not allowed on a disabled secret.`);
    return { status: 200, body: bundle(ctx, secret.name, version, true) };
  }
  if (method === 'PATCH') {
    authorize(ctx, principalId, OPS.update);
    // Attribute changes raise no event in Azure either.
    const b = (body ?? {}) as { contentType?: unknown; tags?: unknown; attributes?: Record<string, unknown> };
    const attrs = b.attributes ?? {};
    if (typeof attrs['enabled'] === 'boolean') version.enabled = attrs['enabled'];
    if ('nbf' in attrs) version.nbf = unixSeconds(attrs['nbf'], 'nbf');
    if ('exp' in attrs) version.exp = unixSeconds(attrs['exp'], 'exp');
    if (typeof b.contentType === 'string') version.contentType = b.contentType;
    if (typeof b.tags === 'object' && b.tags !== null) version.tags = b.tags as Record<string, string>;
    version.updated = Math.floor(Date.now() / 1000);
    return { status: 200, body: bundle(ctx, secret.name, version, false) };
  }
  throw new VaultError(405, 'MethodNotAllowed', `${method} ${url.pathname} is not supported by the simulated vault.`);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, { ...headers, 'content-type': 'application/json; charset=utf-8', 'content-length': String(Buffer.byteLength(text)) });
  res.end(text);
}

export interface VaultDataPlane {
  url: string;
  stop(): Promise<void>;
}

/** Starts the data plane of one vault on a free port. */
export async function startVaultDataPlane(opts: { tls: { key: string; cert: string }; state: SimState; knobs: SimKnobs; vaultId: string }): Promise<VaultDataPlane> {
  let origin = '';
  const server = https.createServer({ key: opts.tls.key, cert: opts.tls.cert, keepAliveTimeout: 30_000 }, (req, res) => {
    void (async () => {
      const ctx: VaultContext = { state: opts.state, knobs: opts.knobs, vaultId: opts.vaultId, origin };
      try {
        const text = await readBody(req);
        const url = new URL(req.url ?? '/', origin);
        if (!url.searchParams.get('api-version')) throw new VaultError(400, 'BadParameter', 'The api-version query parameter is required.');
        const principalId = callerOf(ctx, req);
        let body: unknown;
        if (text.trim()) {
          try {
            body = JSON.parse(text);
          } catch {
            throw new VaultError(400, 'BadParameter', 'The request body is not JSON.');
          }
        }
        const answer = handle(ctx, (req.method ?? 'GET').toUpperCase(), url, body, principalId);
        send(res, answer.status, answer.body);
      } catch (err) {
        if (err instanceof VaultError) send(res, err.status, { error: { code: err.code, message: err.message } }, err.headers);
        else send(res, 500, { error: { code: 'InternalError', message: err instanceof Error ? err.message : String(err) } });
      }
    })();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, () => resolve());
  });
  origin = `https://localhost:${(server.address() as AddressInfo).port}`;
  return {
    url: `${origin}/`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/**
 * Emits SecretNearExpiry (current versions expiring within 30 days) and SecretExpired once per
 * version, as Azure does on its own schedule. Returns how many events went out.
 */
export function checkExpiry(state: SimState, knobs: SimKnobs, now = new Date()): number {
  if (!knobs.emitEvents) return 0;
  const t = Math.floor(now.getTime() / 1000);
  let sent = 0;
  for (const vault of state.resources.values()) {
    if (vault.type !== 'Microsoft.KeyVault/vaults') continue;
    const origin = (state.keyVaults.urlKnown(vault.id) ?? String(vault.properties['vaultUri'] ?? '')).replace(/\/+$/, '');
    for (const secret of state.keyVaults.secretsOf(vault.id).values()) {
      const v = secret.versions[secret.versions.length - 1];
      if (!v || v.exp === undefined || !v.enabled) continue;
      const type = v.exp <= t ? 'Microsoft.KeyVault.SecretExpired' : v.exp - t <= NEAR_EXPIRY_SECONDS ? 'Microsoft.KeyVault.SecretNearExpiry' : undefined;
      if (!type || v.notified.includes(type)) continue;
      v.notified.push(type);
      state.keyVaults.publish(
        toKeyVaultEvent({
          eventType: type,
          vaultId: vault.id,
          vaultName: vault.name,
          objectType: 'Secret',
          objectName: secret.name,
          objectUrl: `${origin}/secrets/${secret.name}/${v.version}`,
          version: v.version,
          ...(v.nbf !== undefined ? { nbf: v.nbf } : {}),
          exp: v.exp,
        }),
      );
      sent++;
    }
  }
  return sent;
}
