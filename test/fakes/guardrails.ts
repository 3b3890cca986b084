/**
 * Guardrail ports typed by shared/ports/guardrails.ts, for unit tests of the use cases: storage
 * accounts and vaults over the simulator's seeded model (its wire shapes, no server), the
 * guardrail state in memory with the same compare-and-swap contract as the Cosmos adapter, and
 * secret metadata from the simulator's vault store. Every PATCH is kept, so a test can say
 * "this was set back, and nothing else was touched".
 */
import { isWithinScope, scopeKey } from '../../shared/domain/armIds';
import { type GuardedResourceKind, type GuardedResourceRef, type PropertyValue } from '../../shared/domain/guardrails/properties';
import { emptyState, type GuardrailState } from '../../shared/domain/guardrails/state';
import type { SecretMetadata } from '../../shared/domain/guardrails/secrets';
import { TransientError } from '../../shared/domain/errors';
import type { GuardedResources, GuardedResourceSnapshot, GuardrailPorts, GuardrailStates, PropertyChange, SecretInventory, StateMutation, VersionedState } from '../../shared/ports/guardrails';
import type { ArmResource } from '../../dev/sim/seed';
import type { SimState } from '../../dev/sim/state';

const TYPES: Record<GuardedResourceKind, string> = { storageAccount: 'microsoft.storage/storageaccounts', keyVault: 'microsoft.keyvault/vaults' };

const scalar = (v: unknown): PropertyValue => (typeof v === 'string' || typeof v === 'boolean' ? v : null);

/** A wire-shaped resource (as ARM answers) as the adapters hand it to the use cases. */
export function snapshotFromWire(r: ArmResource): GuardedResourceSnapshot {
  const p = r.properties;
  const acl = p['networkAcls'] as { defaultAction?: string } | undefined;
  const approved = ((p['privateEndpointConnections'] as Array<{ properties?: { privateLinkServiceConnectionState?: { status?: string } } }> | undefined) ?? []).some(
    (c) => c.properties?.privateLinkServiceConnectionState?.status === 'Approved',
  );
  const storage = r.type.toLowerCase() === TYPES.storageAccount;
  const values: Record<string, PropertyValue> = storage
    ? {
        allowBlobPublicAccess: scalar(p['allowBlobPublicAccess']),
        allowSharedKeyAccess: scalar(p['allowSharedKeyAccess']),
        publicNetworkAccess: scalar(p['publicNetworkAccess']),
        'networkAcls.defaultAction': scalar(acl?.defaultAction),
        minimumTlsVersion: scalar(p['minimumTlsVersion']),
        supportsHttpsTrafficOnly: scalar(p['supportsHttpsTrafficOnly']),
        allowCrossTenantReplication: scalar(p['allowCrossTenantReplication']),
      }
    : {
        enableRbacAuthorization: scalar(p['enableRbacAuthorization']),
        enablePurgeProtection: scalar(p['enablePurgeProtection']),
        publicNetworkAccess: scalar(p['publicNetworkAccess']),
        'networkAcls.defaultAction': scalar(acl?.defaultAction),
        accessPolicies: ((p['accessPolicies'] as unknown[] | undefined) ?? []).length > 0 ? 'present' : 'none',
      };
  return {
    id: r.id,
    name: r.name,
    kind: storage ? 'storageAccount' : 'keyVault',
    values,
    approvedPrivateEndpoint: approved,
    ...(!storage && typeof p['vaultUri'] === 'string' ? { vaultUri: p['vaultUri'] } : {}),
    raw: r,
  };
}

export interface RecordedPatch {
  resourceId: string;
  changes: PropertyChange[];
}

export class SimGuardedResources implements GuardedResources {
  readonly patches: RecordedPatch[] = [];
  reads = 0;
  /** Set to make the next `apply` fail with this error (once). */
  failNextApply: Error | undefined;

  constructor(private readonly sim: SimState) {}

  async get(ref: GuardedResourceRef): Promise<GuardedResourceSnapshot | undefined> {
    this.reads++;
    const r = this.sim.resources.get(scopeKey(ref.id));
    return r ? snapshotFromWire(r) : undefined;
  }

  async apply(snapshot: GuardedResourceSnapshot, changes: readonly PropertyChange[]): Promise<GuardedResourceSnapshot> {
    if (this.failNextApply) {
      const err = this.failNextApply;
      this.failNextApply = undefined;
      throw err;
    }
    const key = scopeKey(snapshot.id);
    const r = this.sim.resources.get(key);
    if (!r) throw new TransientError(`${snapshot.id} vanished`);
    const properties = { ...r.properties };
    for (const { property, value } of changes) {
      if (property === 'networkAcls.defaultAction') properties['networkAcls'] = { ...((properties['networkAcls'] as object | undefined) ?? {}), defaultAction: value };
      else if (property === 'accessPolicies') properties['accessPolicies'] = [];
      else properties[property] = value;
    }
    this.sim.resources.set(key, { ...r, properties });
    this.patches.push({ resourceId: snapshot.id, changes: [...changes] });
    return snapshotFromWire(this.sim.resources.get(key)!);
  }

  async *list(scope: string, kind: GuardedResourceKind): AsyncIterable<GuardedResourceSnapshot[]> {
    const items = [...this.sim.resources.values()].filter((r) => r.type.toLowerCase() === TYPES[kind] && isWithinScope(r.id, scope)).map(snapshotFromWire);
    yield items;
  }
}

export class InMemoryGuardrailStates implements GuardrailStates {
  readonly docs = new Map<string, { state: GuardrailState; etag: string }>();
  writes = 0;
  private version = 0;

  async read(resourceId: string): Promise<VersionedState | undefined> {
    const found = this.docs.get(scopeKey(resourceId));
    return found && structuredClone(found);
  }

  /** The store decides on what it holds (as compare-and-swap does); `_known` only saves a read in Cosmos. */
  async update(resourceId: string, mutate: StateMutation, _known?: VersionedState | null): Promise<VersionedState> {
    const key = scopeKey(resourceId);
    const current = this.docs.get(key);
    const base = current ? structuredClone(current.state) : emptyState(resourceId);
    const next = mutate(base);
    if (next === base && current) return structuredClone(current);
    this.writes++;
    const stored = { state: structuredClone(next), etag: String(++this.version) };
    this.docs.set(key, stored);
    return structuredClone(stored);
  }

  async withEndingExceptions(now: Date): Promise<string[]> {
    return [...this.docs.values()].filter((d) => d.state.nextExceptionEnd !== undefined && d.state.nextExceptionEnd <= now.toISOString()).map((d) => d.state.resourceId);
  }

  async contested(now: Date): Promise<GuardrailState[]> {
    return [...this.docs.values()].map((d) => d.state).filter((s) => Object.values(s.properties).some((p) => p.contestedUntil !== undefined && Date.parse(p.contestedUntil) > now.getTime()));
  }
}

/** Secret metadata from the simulator's vault store (values never leave it). */
export class SimSecretInventory implements SecretInventory {
  constructor(private readonly sim: SimState) {}

  private vaultOf(vaultUri: string): string {
    const vault = [...this.sim.resources.values()].find((r) => r.type === 'Microsoft.KeyVault/vaults' && r.properties['vaultUri'] === vaultUri);
    if (!vault) throw new TransientError(`no vault at ${vaultUri}`);
    return vault.id;
  }

  async *list(vaultUri: string): AsyncIterable<SecretMetadata[]> {
    const secrets = this.sim.keyVaults.secretsOf(this.vaultOf(vaultUri));
    yield [...secrets.values()].filter((s) => s.versions.length > 0).map((s) => metadata(s.name, s.versions[s.versions.length - 1]!, false));
  }

  async *versions(vaultUri: string, name: string): AsyncIterable<SecretMetadata[]> {
    const secret = this.sim.keyVaults.secretsOf(this.vaultOf(vaultUri)).get(name.toLowerCase());
    yield secret ? secret.versions.map((v) => metadata(secret.name, v, true)) : [];
  }
}

function metadata(name: string, v: { version: string; enabled: boolean; created: number; nbf?: number; exp?: number }, withVersion: boolean): SecretMetadata {
  return {
    name,
    ...(withVersion ? { version: v.version } : {}),
    enabled: v.enabled,
    createdOn: new Date(v.created * 1000),
    ...(v.nbf !== undefined ? { notBefore: new Date(v.nbf * 1000) } : {}),
    ...(v.exp !== undefined ? { expiresOn: new Date(v.exp * 1000) } : {}),
  };
}

export interface FakeGuardrails extends GuardrailPorts {
  resources: SimGuardedResources;
  states: InMemoryGuardrailStates;
  secrets: SimSecretInventory;
}

export function fakeGuardrails(sim: SimState): FakeGuardrails {
  return { resources: new SimGuardedResources(sim), states: new InMemoryGuardrailStates(), secrets: new SimSecretInventory(sim) };
}
