/**
 * The simulated storage accounts, key vaults and vault data plane, driven by the real SDK clients
 * through AccessManager's adapters (@azure/arm-storage, @azure/arm-keyvault,
 * @azure/keyvault-secrets): wire shapes and SDK names, PATCH of chosen settings only, paging,
 * the key and SAS actions with their events, private endpoint connections, what ARM refuses
 * (purge protection off, old api-versions), challenge authentication and RBAC on the data plane.
 */
import { KeyVaultManagementClient } from '@azure/arm-keyvault';
import { StorageManagementClient } from '@azure/arm-storage';
import { RestError } from '@azure/core-rest-pipeline';
import { SecretClient } from '@azure/keyvault-secrets';
import { Agent } from 'undici';
import { generateLocalTls } from '../../dev/tls';
import { simCredential, startSimulator, type Simulator } from '../../dev/sim';
import type { EventGridEvent } from '../../dev/sim/events/armEvent';
import { LOCAL_SUBSCRIPTION_ID, PEOPLE, RG } from '../../dev/tenant';
import { ArmGuardedResources } from '../../shared/adapters/arm/armGuardedResources';
import { KeyVaultSecretInventory } from '../../shared/adapters/keyvault/secretInventory';
import { guardedResourceOf } from '../../shared/domain/guardrails/properties';
import { scopeKey } from '../../shared/domain/armIds';

const STWEIGHTS = `${RG.weights}/providers/Microsoft.Storage/storageAccounts/stweights`;
const KV = `${RG.research}/providers/Microsoft.KeyVault/vaults/kv-research`;

let sim: Simulator;
let ca: string;
let resources: ArmGuardedResources;
/** Every event the simulator published, by topic, as a webhook would receive them. */
const armEvents: EventGridEvent[] = [];
const vaultEvents: EventGridEvent[] = [];
let receiver: import('node:http').Server;

beforeAll(async () => {
  const tls = await generateLocalTls();
  ca = tls.cert;
  const http = await import('node:http');
  receiver = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const events = JSON.parse(body) as EventGridEvent[];
      (req.url?.includes('keyVault') ? vaultEvents : armEvents).push(...events);
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, r));
  const port = (receiver.address() as import('node:net').AddressInfo).port;
  sim = await startSimulator({ tls, knobs: { pageSize: 2 } });
  sim.events.setWebhook(`http://localhost:${port}/arm`);
  sim.keyVaultEvents.setWebhook(`http://localhost:${port}/keyVault`);
  resources = new ArmGuardedResources({ credential: simCredential(PEOPLE.accessManager), endpoint: sim.url, ca });
});

beforeEach(() => {
  sim.state.reset();
  armEvents.length = 0;
  vaultEvents.length = 0;
});

afterAll(async () => {
  await sim?.stop();
  await new Promise<void>((r) => receiver.close(() => r()));
});

async function settled(): Promise<void> {
  await sim.events.idle();
  await sim.keyVaultEvents.idle();
}

const storageAs = (who: string) => new StorageManagementClient(simCredential(who), LOCAL_SUBSCRIPTION_ID, { endpoint: sim.url, tlsOptions: { ca }, retryOptions: { maxRetries: 0 } });
const vaultsAs = (who: string) => new KeyVaultManagementClient(simCredential(who), LOCAL_SUBSCRIPTION_ID, { endpoint: sim.url, tlsOptions: { ca }, retryOptions: { maxRetries: 0 } });

async function restError(p: Promise<unknown>): Promise<RestError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof RestError) return err;
    throw err;
  }
  throw new Error('expected a RestError');
}

describe('storage accounts through @azure/arm-storage', () => {
  test('the seeded account reads as the adapter sees it: compliant, private endpoint approved', async () => {
    const snapshot = await resources.get(guardedResourceOf(STWEIGHTS)!);
    expect(snapshot).toMatchObject({
      id: STWEIGHTS,
      name: 'stweights',
      kind: 'storageAccount',
      values: { allowBlobPublicAccess: false, allowSharedKeyAccess: false, publicNetworkAccess: 'Disabled', 'networkAcls.defaultAction': 'Deny', minimumTlsVersion: 'TLS1_2', supportsHttpsTrafficOnly: true, allowCrossTenantReplication: false },
      approvedPrivateEndpoint: true,
    });
  });

  test('apply PATCHes only the settings asked for, by their wire names; network rules go back whole', async () => {
    const r = sim.state.resources.get(scopeKey(STWEIGHTS))!;
    sim.state.resources.set(scopeKey(STWEIGHTS), {
      ...r,
      properties: { ...r.properties, supportsHttpsTrafficOnly: false, networkAcls: { bypass: 'AzureServices', defaultAction: 'Allow', ipRules: [{ value: '203.0.113.0/24', action: 'Allow' }], virtualNetworkRules: [] } },
    });
    const before = await resources.get(guardedResourceOf(STWEIGHTS)!);
    const after = await resources.apply(before!, [
      { property: 'supportsHttpsTrafficOnly', value: true },
      { property: 'networkAcls.defaultAction', value: 'Deny' },
    ]);
    expect(after.values).toMatchObject({ supportsHttpsTrafficOnly: true, 'networkAcls.defaultAction': 'Deny' });
    const stored = sim.state.resources.get(scopeKey(STWEIGHTS))!.properties;
    expect(stored['networkAcls']).toMatchObject({ defaultAction: 'Deny', ipRules: [{ value: '203.0.113.0/24', action: 'Allow' }] });
    await settled();
    expect(armEvents.map((e) => [e.eventType, (e.data as { operationName: string }).operationName, (e.data as { claims: Record<string, string> }).claims['http://schemas.microsoft.com/identity/claims/objectidentifier']])).toEqual([
      ['Microsoft.Resources.ResourceWriteSuccess', 'Microsoft.Storage/storageAccounts/write', PEOPLE.accessManager],
    ]);
  });

  test('lists page by page (the SDK follows nextLink), per resource group and subscription', async () => {
    const all: string[] = [];
    for await (const page of resources.list(`/subscriptions/${LOCAL_SUBSCRIPTION_ID}`, 'storageAccount')) all.push(...page.map((s) => s.name));
    expect(all.sort()).toEqual(['stsandbox', 'stscratch', 'stweights']);
    const inResearch: string[] = [];
    for await (const page of resources.list(RG.research, 'storageAccount')) inResearch.push(...page.map((s) => s.name));
    expect(inResearch).toEqual(['stscratch']);
  });

  test('listKeys, regenerateKey and SAS listings answer in their shapes and raise ResourceActionSuccess', async () => {
    const dave = storageAs(PEOPLE.dave);
    const keys = await dave.storageAccounts.listKeys('rg-weights', 'stweights');
    expect(keys.keys?.map((k) => [k.keyName, k.value?.length])).toEqual([
      ['key1', 88],
      ['key2', 88],
    ]);
    const regenerated = await dave.storageAccounts.regenerateKey('rg-weights', 'stweights', { keyName: 'key1' });
    expect(regenerated.keys?.[0]?.value).not.toBe(keys.keys?.[0]?.value);
    const sas = await dave.storageAccounts.listAccountSAS('rg-weights', 'stweights', { services: 'b', resourceTypes: 'sco', permissions: 'rl', sharedAccessExpiryTime: new Date('2026-12-01T00:00:00Z') });
    expect(sas.accountSasToken).toMatch(/^sv=.*&sig=/);
    const service = await dave.storageAccounts.listServiceSAS('rg-weights', 'stweights', { canonicalizedResource: '/blob/stweights/checkpoints', resource: 'c', permissions: 'r', sharedAccessExpiryTime: new Date('2026-12-01T00:00:00Z') });
    expect(service.serviceSasToken).toMatch(/&sig=/);
    await settled();
    // Event Grid does not keep order.
    expect(armEvents.map((e) => (e.data as { operationName: string }).operationName).sort()).toEqual([
      'Microsoft.Storage/storageAccounts/listAccountSas/action',
      'Microsoft.Storage/storageAccounts/listKeys/action',
      'Microsoft.Storage/storageAccounts/listServiceSas/action',
      'Microsoft.Storage/storageAccounts/regenerateKey/action',
    ]);
    expect(armEvents.every((e) => e.eventType === 'Microsoft.Resources.ResourceActionSuccess')).toBe(true);
  });

  test('mallory may not list keys (403), and old api-versions are refused', async () => {
    expect((await restError(storageAs(PEOPLE.mallory).storageAccounts.listKeys('rg-weights', 'stweights'))).statusCode).toBe(403);
    const old = new StorageManagementClient(simCredential(PEOPLE.dave), LOCAL_SUBSCRIPTION_ID, { endpoint: sim.url, tlsOptions: { ca }, retryOptions: { maxRetries: 0 }, apiVersion: '2022-09-01' });
    const err = await restError(old.storageAccounts.getProperties('rg-weights', 'stweights'));
    expect([err.statusCode, err.code]).toEqual([400, 'NoRegisteredProviderFound']);
  });

  test('private endpoint connections: listed, approved, removed', async () => {
    const dave = storageAs(PEOPLE.dave);
    const listed: string[] = [];
    for await (const c of dave.privateEndpointConnections.list('rg-research', 'stscratch')) listed.push(c.name!);
    expect(listed).toEqual([]);
    await dave.privateEndpointConnections.put('rg-research', 'stscratch', 'pe-scratch', { privateLinkServiceConnectionState: { status: 'Approved' } });
    expect((await resources.get(guardedResourceOf(`${RG.research}/providers/Microsoft.Storage/storageAccounts/stscratch`)!))?.approvedPrivateEndpoint).toBe(true);
    await dave.privateEndpointConnections.delete('rg-research', 'stscratch', 'pe-scratch');
    expect((await resources.get(guardedResourceOf(`${RG.research}/providers/Microsoft.Storage/storageAccounts/stscratch`)!))?.approvedPrivateEndpoint).toBe(false);
  });
});

describe('key vaults through @azure/arm-keyvault', () => {
  test('the seeded vault reads as the adapter sees it, with its local data-plane URI', async () => {
    const snapshot = await resources.get(guardedResourceOf(KV)!);
    expect(snapshot).toMatchObject({ kind: 'keyVault', values: { enableRbacAuthorization: true, enablePurgeProtection: true, publicNetworkAccess: 'Disabled', 'networkAcls.defaultAction': 'Deny', accessPolicies: 'none' }, approvedPrivateEndpoint: true });
    expect(snapshot?.vaultUri).toMatch(/^https:\/\/localhost:\d+\/$/);
  });

  test('access policies left in RBAC mode are removed entry by entry; a policy change raises VaultAccessPolicyChanged', async () => {
    await vaultsAs(PEOPLE.dave).vaults.updateAccessPolicy('rg-research', 'kv-research', 'add', {
      properties: { accessPolicies: [{ tenantId: sim.state.tenantId, objectId: PEOPLE.dave, permissions: { secrets: ['get', 'list'] } }] },
    });
    const snapshot = await resources.get(guardedResourceOf(KV)!);
    expect(snapshot?.values['accessPolicies']).toBe('present');
    const after = await resources.apply(snapshot!, [{ property: 'accessPolicies', value: 'none' }]);
    expect(after.values['accessPolicies']).toBe('none');
    await settled();
    expect(armEvents.map((e) => (e.data as { operationName: string; resourceUri: string }).resourceUri.split('/').slice(-2).join('/')).sort()).toEqual(['accessPolicies/add', 'accessPolicies/remove']);
    expect(vaultEvents.map((e) => [e.eventType, e.subject])).toEqual([
      ['Microsoft.KeyVault.VaultAccessPolicyChanged', 'kv-research'],
      ['Microsoft.KeyVault.VaultAccessPolicyChanged', 'kv-research'],
    ]);
  });

  test('purge protection cannot be turned off (400, as Azure answers); public network access is PATCHed alone', async () => {
    const err = await restError(vaultsAs(PEOPLE.dave).vaults.update('rg-research', 'kv-research', { properties: { enablePurgeProtection: false } }));
    expect([err.statusCode, err.message]).toEqual([400, 'The property "enablePurgeProtection" cannot be set to false. Enabling the purge protection for a vault is an irreversible action.']);
    await vaultsAs(PEOPLE.dave).vaults.update('rg-research', 'kv-research', { properties: { publicNetworkAccess: 'Enabled' } });
    const snapshot = await resources.get(guardedResourceOf(KV)!);
    const after = await resources.apply(snapshot!, [{ property: 'publicNetworkAccess', value: 'Disabled' }]);
    expect(after.values).toMatchObject({ publicNetworkAccess: 'Disabled', enableRbacAuthorization: true, enablePurgeProtection: true });
  });

  test('vaults list per subscription and resource group', async () => {
    const names: string[] = [];
    for await (const page of resources.list(`/subscriptions/${LOCAL_SUBSCRIPTION_ID}`, 'keyVault')) names.push(...page.map((v) => v.name));
    expect(names).toEqual(['kv-research']);
  });
});

describe('the vault data plane through @azure/keyvault-secrets', () => {
  const client = async (who: string) => new SecretClient(await sim.vaultUrl(KV), simCredential(who), { tlsOptions: { ca }, disableChallengeResourceVerification: true, retryOptions: { maxRetries: 0 } });

  beforeEach(() => {
    // dave is Owner (no data actions): give him Key Vault Secrets Officer on the vault for these tests.
    sim.state.seedAssignment({ scope: KV, role: 'Key Vault Secrets Officer', principalId: PEOPLE.dave });
  });

  test('set, read and list through challenge authentication; metadata listings carry no values; each version raises SecretNewVersionCreated', async () => {
    const dave = await client(PEOPLE.dave);
    const exp = new Date(Date.now() + 30 * 86_400_000);
    const set = await dave.setSecret('db-password', 's3cret', { expiresOn: exp, contentType: 'text/plain' });
    await dave.setSecret('db-password', 's3cret-2');
    expect((await dave.getSecret('db-password')).value).toBe('s3cret-2');
    expect((await dave.getSecret('db-password', { version: set.properties.version! })).properties.expiresOn?.getTime()).toBe(Math.floor(exp.getTime() / 1000) * 1000);
    const inventory = new KeyVaultSecretInventory({ credential: simCredential(PEOPLE.accessManager), ca, localVaults: true });
    const vaultUri = await sim.vaultUrl(KV);
    const listed: unknown[] = [];
    for await (const page of inventory.list(vaultUri)) listed.push(...page);
    expect(listed).toEqual([expect.objectContaining({ name: 'db-password', enabled: true })]);
    const versions: Array<{ version?: string; expiresOn?: Date }> = [];
    for await (const page of inventory.versions(vaultUri, 'db-password')) versions.push(...page);
    expect(versions).toHaveLength(2);
    expect(JSON.stringify(versions)).not.toContain('s3cret');
    await settled();
    expect(vaultEvents.map((e) => [e.eventType, e.subject, (e.data as { ObjectType: string }).ObjectType])).toEqual([
      ['Microsoft.KeyVault.SecretNewVersionCreated', 'db-password', 'Secret'],
      ['Microsoft.KeyVault.SecretNewVersionCreated', 'db-password', 'Secret'],
    ]);
    expect((vaultEvents[0]!.data as { EXP: number }).EXP).toBe(Math.floor(exp.getTime() / 1000));
    expect(vaultEvents[0]!.topic).toBe(KV);
  });

  test('RBAC mode: AccessManager may list metadata (Key Vault Reader) but not read values; mallory may do neither', async () => {
    const dave = await client(PEOPLE.dave);
    await dave.setSecret('db-password', 's3cret');
    const app = await client(PEOPLE.accessManager);
    for await (const s of app.listPropertiesOfSecrets()) expect(s.name).toBe('db-password');
    expect((await restError(app.getSecret('db-password'))).statusCode).toBe(403);
    const mallory = await client(PEOPLE.mallory);
    expect((await restError(mallory.setSecret('x', 'y'))).statusCode).toBe(403);
  });

  test('near expiry and expiry are raised once per version, when the simulator is told to check', async () => {
    const dave = await client(PEOPLE.dave);
    await dave.setSecret('soon', 'x', { expiresOn: new Date(Date.now() + 86_400_000) });
    await dave.setSecret('gone', 'x', { expiresOn: new Date(Date.now() - 1000) });
    const res = await fetch(`${sim.url}/sim/keyvault/expiry`, { method: 'POST', dispatcher: new Agent({ connect: { ca } }) } as RequestInit);
    expect(await res.json()).toEqual({ sent: 2 });
    await settled();
    expect(vaultEvents.filter((e) => !e.eventType.endsWith('NewVersionCreated')).map((e) => [e.eventType, e.subject]).sort()).toEqual([
      ['Microsoft.KeyVault.SecretExpired', 'gone'],
      ['Microsoft.KeyVault.SecretNearExpiry', 'soon'],
    ]);
  });

  test('the inventory never sends a token to a host that is not a vault', async () => {
    const inventory = new KeyVaultSecretInventory({ credential: simCredential(PEOPLE.accessManager), ca });
    const attempt = async () => {
      for await (const _ of inventory.list(await sim.vaultUrl(KV))) return;
    };
    await expect(attempt()).rejects.toThrow(/is not a Key Vault endpoint/);
    const deployed = new KeyVaultSecretInventory({ credential: simCredential(PEOPLE.accessManager), localVaults: true });
    await expect((async () => {
      for await (const _ of deployed.list('https://attacker.example/')) return;
    })()).rejects.toThrow(/is not a Key Vault endpoint/);
  });
});
