/**
 * The guardrail use cases over fakes typed by the ports (the simulator's seeded model for ARM,
 * the store in memory): every path of an event, the loop with our own write, idempotency,
 * crashes and refusals, the fight, audit mode, key listings, the exception window, reconcile,
 * Key Vault events, the secret scan and watched blob events. The same paths run end to end
 * through the local stack in test/e2e/guardrails.*.test.ts.
 */
import { randomUUID } from 'node:crypto';
import { RESOURCE_WRITE_SUCCESS, toArmEvent, type ArmEventType } from '../../dev/sim/events/armEvent';
import { toKeyVaultEvent } from '../../dev/sim/events/keyVaultEvent';
import { LOCAL_SUBSCRIPTION_ID, LOCAL_TENANT_ID, PEOPLE, RG } from '../../dev/tenant';
import { scopeKey } from '../../shared/domain/armIds';
import { InternalError, TransientError } from '../../shared/domain/errors';
import { receivedEventFrom } from '../../shared/domain/events/envelope';
import { decodeKeyVaultEvent, type KeyVaultEvent } from '../../shared/domain/events/keyVaultEvent';
import { decodeStorageEvent, type StorageEvent } from '../../shared/domain/events/storageEvent';
import { handleArmEvent } from '../../shared/usecases/enforcement';
import { endGuardrailExceptions, keyVaultEvents, reconcileGuardrails, scanSecrets, storageEvents } from '../../shared/usecases/guardrails';
import { startWorld, type World } from '../fakes/world';

const STWEIGHTS = `${RG.weights}/providers/Microsoft.Storage/storageAccounts/stweights`;
const STSANDBOX = `${RG.sandbox}/providers/Microsoft.Storage/storageAccounts/stsandbox`;
const KV = `${RG.research}/providers/Microsoft.KeyVault/vaults/kv-research`;
const MIN = 60_000;

let world: World;
const log: string[] = [];

beforeEach(async () => {
  world = await startWorld({ now: new Date('2026-11-20T12:00:00Z') });
  log.length = 0;
});

const props = (id: string) => world.sim.resources.get(scopeKey(id))!.properties;
const set = (id: string, values: Record<string, unknown>) => {
  const r = world.sim.resources.get(scopeKey(id))!;
  world.sim.resources.set(scopeKey(id), { ...r, properties: { ...r.properties, ...values } });
};
const records = (prefix = 'guardrail.') => world.audit.records.filter((r) => r.action.startsWith(prefix) || r.action.startsWith('storage.'));

/** One ARM event about `resourceId` as `caller` (dave by default) made it. */
function armEvent(resourceId: string, opts: { caller?: string; operation?: string; type?: ArmEventType; id?: string } = {}) {
  const caller = opts.caller ?? PEOPLE.dave;
  return receivedEventFrom(
    toArmEvent({
      id: opts.id ?? randomUUID(),
      eventType: opts.type ?? RESOURCE_WRITE_SUCCESS,
      eventTime: world.clock.now(),
      subscriptionId: LOCAL_SUBSCRIPTION_ID,
      tenantId: LOCAL_TENANT_ID,
      resourceUri: resourceId,
      operationName: opts.operation ?? (resourceId.includes('KeyVault') ? 'Microsoft.KeyVault/vaults/write' : 'Microsoft.Storage/storageAccounts/write'),
      resourceProvider: 'Microsoft.Storage',
      evidence: { role: 'Owner', roleAssignmentScope: '/', roleAssignmentId: 'x', roleDefinitionId: 'x', principalId: caller, principalType: 'User' },
      claims: { 'http://schemas.microsoft.com/identity/claims/objectidentifier': caller, ...(caller === PEOPLE.dave ? { 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn': 'dave@contoso.test' } : {}) },
      correlationId: randomUUID(),
      clientRequestId: randomUUID(),
      clientIpAddress: '203.0.113.7',
      method: 'PATCH',
      pathAndQuery: `${resourceId}?api-version=2025-06-01`,
    }),
  );
}

const onArm = (event: ReturnType<typeof armEvent>) => handleArmEvent(world.deps, event, (l) => log.push(l));

describe('a write event on a guarded storage account', () => {
  test('reads the account, patches only what is wrong, records it with the actor, alerts the security channel', async () => {
    set(STWEIGHTS, { allowBlobPublicAccess: true, allowSharedKeyAccess: true });
    await onArm(armEvent(STWEIGHTS));
    expect(world.guardrails.resources.patches).toEqual([{ resourceId: STWEIGHTS, changes: [{ property: 'allowBlobPublicAccess', value: false }] }]);
    expect(props(STWEIGHTS)).toMatchObject({ allowBlobPublicAccess: false, allowSharedKeyAccess: true });
    expect(records().map((r) => [r.action, r.details?.['property']])).toEqual([
      ['guardrail.violation', 'allowSharedKeyAccess'],
      ['guardrail.remediated', 'allowBlobPublicAccess'],
    ]);
    expect(records()[1]).toMatchObject({ actor: { id: PEOPLE.dave, name: 'dave@contoso.test' }, scope: STWEIGHTS, policyId: 'model-weights', mode: 'enforce' });
    expect(world.notifier.sent.filter((n) => n.kind.startsWith('guardrail.')).map((n) => [n.kind, n.securityChannel])).toEqual([
      ['guardrail.violation', true],
      ['guardrail.remediated', true],
    ]);
  });

  test('our own patch raises an event too: it ends in compliant, nothing patched or recorded again', async () => {
    set(STWEIGHTS, { minimumTlsVersion: 'TLS1_0' });
    await onArm(armEvent(STWEIGHTS));
    const before = { patches: world.guardrails.resources.patches.length, records: records().length, writes: world.guardrails.states.writes };
    await onArm(armEvent(STWEIGHTS, { caller: PEOPLE.accessManager }));
    expect({ patches: world.guardrails.resources.patches.length, records: records().length, writes: world.guardrails.states.writes }).toEqual(before);
  });

  test('a redelivered event, or another event seeing the same thing, records and patches nothing new', async () => {
    set(STWEIGHTS, { allowBlobPublicAccess: true });
    const event = armEvent(STWEIGHTS);
    await onArm(event);
    await onArm(event);
    await onArm(armEvent(STWEIGHTS));
    expect(world.guardrails.resources.patches).toHaveLength(1);
    expect(records('guardrail.remediated')).toHaveLength(1);
  });

  test('a no-op write (a PUT of the same settings) reads the account and does nothing', async () => {
    await onArm(armEvent(STWEIGHTS));
    expect([world.guardrails.resources.reads, world.guardrails.resources.patches.length, records().length, world.guardrails.states.writes]).toEqual([1, 0, 0, 0]);
  });

  test('ARM failing transiently: the intent stays, redelivery patches and records exactly once', async () => {
    set(STWEIGHTS, { allowBlobPublicAccess: true });
    world.guardrails.resources.failNextApply = new TransientError('ARM throttled', 'AzureThrottled');
    const event = armEvent(STWEIGHTS);
    await expect(onArm(event)).rejects.toThrow(/throttled/);
    expect(records('guardrail.remediated')).toHaveLength(0);
    expect((await world.guardrails.states.read(STWEIGHTS))?.state.properties['allowBlobPublicAccess']?.open).toMatchObject({ action: 'remediate', value: 'true' });
    await onArm(event);
    expect(props(STWEIGHTS)['allowBlobPublicAccess']).toBe(false);
    expect(records('guardrail.remediated')).toHaveLength(1);
  });

  test('a fix that landed without its record (crash after the PATCH) is recorded on the next read', async () => {
    set(STWEIGHTS, { allowBlobPublicAccess: true });
    const original = world.guardrails.resources.apply.bind(world.guardrails.resources);
    world.guardrails.resources.apply = async (snapshot, changes) => {
      await original(snapshot, changes);
      throw new TransientError('connection reset after the PATCH', 'AzureUnavailable');
    };
    await expect(onArm(armEvent(STWEIGHTS))).rejects.toThrow(/connection reset/);
    world.guardrails.resources.apply = original;
    await reconcileGuardrails(world.deps);
    expect(records('guardrail.remediated')).toMatchObject([{ details: { property: 'allowBlobPublicAccess', observed: true }, reason: expect.stringMatching(/confirmed on a later read/) }]);
  });

  test('ARM refusing the fix for good: recorded as a violation with its reason, and not retried forever', async () => {
    set(STWEIGHTS, { allowBlobPublicAccess: true });
    world.guardrails.resources.failNextApply = new InternalError('AccessManager lacks Microsoft.Storage/storageAccounts/write', 'AzurePermissionDenied');
    await onArm(armEvent(STWEIGHTS));
    expect(records()).toMatchObject([{ action: 'guardrail.violation', reason: expect.stringMatching(/ARM refused the change: AccessManager lacks/) }]);
    expect(world.notifier.sent.at(-1)?.subject).toMatch(/could not be restored/);
  });

  test('a deployment event naming a temporary deployments URI is left to the deployment event naming the account', async () => {
    await onArm(armEvent(`${RG.weights}/providers/Microsoft.Resources/deployments/tmp-42`));
    expect(log.join('\n')).toMatch(/names no storage account or key vault/);
    expect(world.guardrails.resources.reads).toBe(0);
  });
});

describe('fights, audit mode and key listings', () => {
  test('another automation flips the setting back again and again: three fixes, then contested, recorded and alerted once', async () => {
    const outcomes: string[] = [];
    for (let i = 0; i < 6; i++) {
      set(STWEIGHTS, { allowBlobPublicAccess: true });
      await onArm(armEvent(STWEIGHTS));
      outcomes.push(String(props(STWEIGHTS)['allowBlobPublicAccess']));
      world.clock.advance(MIN);
    }
    expect(outcomes).toEqual(['false', 'false', 'false', 'true', 'true', 'true']);
    expect(records().map((r) => r.action)).toEqual(['guardrail.remediated', 'guardrail.remediated', 'guardrail.remediated', 'guardrail.contested']);
    expect(world.notifier.sent.filter((n) => n.kind === 'guardrail.contested')).toHaveLength(1);
    // After the hold-off it is fixed again.
    world.clock.advance(61 * MIN);
    await onArm(armEvent(STWEIGHTS));
    expect(props(STWEIGHTS)['allowBlobPublicAccess']).toBe(false);
  });

  test('audit mode (sandbox): recorded once as "would remediate", nothing changed', async () => {
    set(STSANDBOX, { allowBlobPublicAccess: true });
    await onArm(armEvent(STSANDBOX));
    await onArm(armEvent(STSANDBOX));
    expect(props(STSANDBOX)['allowBlobPublicAccess']).toBe(true);
    expect(records()).toMatchObject([{ action: 'guardrail.wouldRemediate', mode: 'audit', policyId: 'sandbox' }]);
  });

  test.each([
    ['listKeys', 'storage.keysListed'],
    ['regenerateKey', 'storage.keyRegenerated'],
    ['ListAccountSas', 'storage.accountSasListed'],
    ['listservicesas', 'storage.serviceSasListed'],
  ])('%s on a guarded account is recorded as %s and alerted', async (action, recorded) => {
    const event = armEvent(STWEIGHTS, { type: 'Microsoft.Resources.ResourceActionSuccess', operation: `Microsoft.Storage/storageAccounts/${action}/action` });
    await onArm(event);
    await onArm(event);
    expect(records()).toMatchObject([{ action: recorded, actor: { id: PEOPLE.dave }, scope: STWEIGHTS, eventId: event.id }]);
    expect(world.notifier.sent.filter((n) => n.kind === 'storage.keyAccess')).toHaveLength(1);
  });
});

describe('approved exceptions', () => {
  const alice = { id: PEOPLE.alice, name: 'alice@contoso.test' };
  const bob = { id: PEOPLE.bob, name: 'bob@contoso.test' };
  const carol = { id: PEOPLE.carol, name: 'carol@contoso.test' };
  const ask = (overrides: Record<string, unknown> = {}) => ({
    kind: 'guardrailException',
    scope: STWEIGHTS,
    guardrail: { property: 'allowBlobPublicAccess', allowedValue: true, compensatingControl: 'only the public model card container, no weights' },
    duration: 'PT2H',
    justification: 'publish the model card for the release',
    ...overrides,
  });

  test('requested, approved by two, in force for its window: the value is allowed; at its end the guardrail is re-applied and recorded', async () => {
    const created = await world.call<{ id: string; status: string; roleName: string; kind: string; requiredApprovals: number }>('POST', '/api/requests', { as: alice, body: ask() });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ kind: 'guardrailException', status: 'pending', roleName: 'Guardrail exception: allowBlobPublicAccess = true', requiredApprovals: 2 });
    expect((await world.call('POST', `/api/requests/${created.body.id}/approve`, { as: alice })).status).toBe(403);
    await world.call('POST', `/api/requests/${created.body.id}/approve`, { as: bob, body: { comment: 'ok for the release' } });
    const approved = await world.call<{ status: string; fulfilled: boolean; grantId: string }>('POST', `/api/requests/${created.body.id}/approve`, { as: carol });
    expect(approved.body).toMatchObject({ status: 'approved', fulfilled: true });
    expect(world.audit.ofAction('guardrail.exceptionGranted')).toMatchObject([{ scope: STWEIGHTS, requestId: created.body.id, grantId: approved.body.grantId }]);

    set(STWEIGHTS, { allowBlobPublicAccess: true });
    await onArm(armEvent(STWEIGHTS));
    expect(props(STWEIGHTS)['allowBlobPublicAccess']).toBe(true);
    expect(records('guardrail.remediated')).toHaveLength(0);

    world.clock.advance(2 * 60 * MIN + 1000);
    expect(await endGuardrailExceptions(world.deps)).toEqual({ ended: 1, failures: 0 });
    expect(props(STWEIGHTS)['allowBlobPublicAccess']).toBe(false);
    expect(records().map((r) => r.action)).toEqual(['guardrail.exceptionGranted', 'guardrail.exceptionEnded', 'guardrail.remediated']);
    expect(records('guardrail.remediated')[0]!.reason).toMatch(/exception .* ended/);
    expect(await endGuardrailExceptions(world.deps)).toEqual({ ended: 0, failures: 0 });
  });

  test('a denied request puts nothing in force', async () => {
    const created = await world.call<{ id: string }>('POST', '/api/requests', { as: alice, body: ask() });
    await world.call('POST', `/api/requests/${created.body.id}/deny`, { as: bob, body: { reason: 'use a SAS-free path' } });
    expect(await world.guardrails.states.read(STWEIGHTS)).toBeUndefined();
  });

  test.each([
    ['a role field in an exception', { role: 'Reader' }, 400],
    ['no guardrail', { guardrail: undefined }, 400],
    ['a setting not guarded there', { guardrail: { property: 'isHnsEnabled', allowedValue: true, compensatingControl: 'x' } }, 400],
    ['an exception where the policy takes none', { scope: STSANDBOX }, 403],
  ])('%s is refused and writes nothing', async (_name, overrides, status) => {
    const answer = await world.call('POST', '/api/requests', { as: alice, body: ask(overrides) });
    expect(answer.status).toBe(status);
    expect(world.requests.docs.size).toBe(0);
  });

  test('role requests keep their contract: kind is optional, a guardrail field is refused', async () => {
    const role = { scope: RG.weights, role: 'Storage Blob Data Reader', duration: 'PT1H', justification: 'eval run' };
    expect((await world.call('POST', '/api/requests', { as: alice, body: role })).status).toBe(201);
    expect((await world.call('POST', '/api/requests', { as: alice, body: { ...role, kind: 'role' } })).status).toBe(201);
    expect((await world.call('POST', '/api/requests', { as: alice, body: { ...role, guardrail: { property: 'x', allowedValue: true, compensatingControl: 'y' } } })).status).toBe(400);
  });
});

describe('reconcile, Key Vault and storage events', () => {
  test('reconcile finds what no event reported and fixes it; a compliant tenant costs no write', async () => {
    expect(await reconcileGuardrails(world.deps)).toMatchObject({ resources: 4, patched: 0, violations: 0, failures: 0 });
    expect(world.guardrails.states.writes).toBe(0);
    set(STWEIGHTS, { minimumTlsVersion: 'TLS1_1' });
    set(KV, { enablePurgeProtection: null, enableRbacAuthorization: false });
    const report = await reconcileGuardrails(world.deps);
    expect(report).toMatchObject({ resources: 4, patched: 2, violations: 1 });
    expect(props(STWEIGHTS)['minimumTlsVersion']).toBe('TLS1_2');
    expect(props(KV)['enablePurgeProtection']).toBe(true);
    expect(records().find((r) => r.action === 'guardrail.violation')).toMatchObject({ actor: { name: 'unknown (found by reconcile)' }, details: { property: 'enableRbacAuthorization' } });
    expect(world.notifier.sent.find((n) => n.kind === 'guardrail.violation')?.subject).toMatch(/^URGENT: /);
  });

  const vaultEvent = (eventType: string, extra: { objectName?: string; version?: string; exp?: number } = {}): KeyVaultEvent => {
    const decoded = decodeKeyVaultEvent(
      receivedEventFrom(
        toKeyVaultEvent({ eventType, vaultId: KV, vaultName: 'kv-research', objectType: eventType.endsWith('VaultAccessPolicyChanged') ? 'Vault' : 'Secret', objectName: extra.objectName ?? 'kv-research', objectUrl: 'https://kv-research.vault.azure.net/', ...extra }),
      ),
    );
    if (decoded.kind !== 'keyVault') throw new Error('not a vault event');
    return decoded;
  };
  const onVault = (event: KeyVaultEvent) => keyVaultEvents(world.deps, event, (l) => log.push(l));

  test('a new secret version without expiry is checked against the vault and recorded; one within the maximum age is fine', async () => {
    const bad = world.sim.keyVaults.setSecret(KV, 'db-password', { value: 's3cret', tags: {}, enabled: true }, world.clock.now().getTime());
    await onVault(vaultEvent('Microsoft.KeyVault.SecretNewVersionCreated', { objectName: 'db-password', version: bad.version }));
    const exp = Math.floor(world.clock.now().getTime() / 1000) + 30 * 86_400;
    const good = world.sim.keyVaults.setSecret(KV, 'api-key', { value: 'k', tags: {}, enabled: true, exp }, world.clock.now().getTime());
    await onVault(vaultEvent('Microsoft.KeyVault.SecretNewVersionCreated', { objectName: 'api-key', version: good.version, exp }));
    expect(records()).toMatchObject([{ action: 'guardrail.violation', scope: KV, details: { object: 'secret', name: 'db-password', version: bad.version, rule: 'noExpiry' } }]);
    // The event lies about the expiry: the vault's own metadata decides.
    await onVault(vaultEvent('Microsoft.KeyVault.SecretNewVersionCreated', { objectName: 'db-password', version: bad.version, exp }));
    expect(records()).toHaveLength(1);
  });

  test('near expiry tells the vault owners (security-team); an access policy change re-judges the vault', async () => {
    await onVault(vaultEvent('Microsoft.KeyVault.SecretNearExpiry', { objectName: 'db-password', version: 'v1', exp: 1_800_000_000 }));
    expect(world.notifier.sent.find((n) => n.kind === 'secret.nearExpiry')).toMatchObject({ recipients: [PEOPLE.erin] });
    set(KV, { accessPolicies: [{ tenantId: LOCAL_TENANT_ID, objectId: PEOPLE.dave, permissions: { secrets: ['get', 'list'] } }] });
    await onVault(vaultEvent('Microsoft.KeyVault.VaultAccessPolicyChanged'));
    expect(props(KV)['accessPolicies']).toEqual([]);
    expect(records()).toMatchObject([{ action: 'guardrail.remediated', details: { property: 'accessPolicies', observed: 'present' } }]);
  });

  test('the secret scan finds what changed without an event (attributes, age)', async () => {
    const now = world.clock.now().getTime();
    world.sim.keyVaults.setSecret(KV, 'old', { value: 'x', tags: {}, enabled: true, exp: Math.floor(now / 1000) + 10 * 86_400 }, now - 100 * 86_400_000);
    world.sim.keyVaults.setSecret(KV, 'fine', { value: 'x', tags: {}, enabled: true, exp: Math.floor(now / 1000) + 10 * 86_400 }, now);
    expect(await scanSecrets(world.deps)).toEqual({ vaults: 1, secrets: 2, violations: 1, failures: 0 });
    expect(await scanSecrets(world.deps)).toEqual({ vaults: 1, secrets: 2, violations: 0, failures: 0 });
    expect(records()).toMatchObject([{ action: 'guardrail.violation', details: { name: 'old', rule: 'expiryTooFar' } }]);
  });

  const blobEvent = (eventType: string, account = STWEIGHTS): StorageEvent => {
    const decoded = decodeStorageEvent(
      receivedEventFrom({
        id: randomUUID(),
        topic: account,
        subject: '/blobServices/default/containers/checkpoints/blobs/run-42/step-1000.safetensors',
        eventType,
        eventTime: '2026-11-20T12:00:00Z',
        dataVersion: '',
        metadataVersion: '1',
        data: { api: 'DeleteBlob', url: 'https://stweights.blob.core.windows.net/checkpoints/run-42/step-1000.safetensors' },
      }),
    );
    if (decoded.kind !== 'storage') throw new Error('not a storage event');
    return decoded;
  };

  test('storageEvents records exactly what the policy watches, and nothing else', async () => {
    await storageEvents(world.deps, blobEvent('Microsoft.Storage.BlobDeleted'), (l) => log.push(l));
    await storageEvents(world.deps, blobEvent('Microsoft.Storage.BlobCreated'), (l) => log.push(l));
    await storageEvents(world.deps, blobEvent('Microsoft.Storage.BlobDeleted', STSANDBOX), (l) => log.push(l));
    expect(records()).toMatchObject([{ action: 'storage.blobEvent', scope: STWEIGHTS, details: { eventType: 'Microsoft.Storage.BlobDeleted', container: 'checkpoints', blob: 'run-42/step-1000.safetensors' } }]);
    expect(world.notifier.sent).toEqual([]);
  });
});
