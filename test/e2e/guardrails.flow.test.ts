/**
 * Guardrails end to end through the simulated tenant and its event emission, with the real SDK
 * clients: every guarded setting of the seed policies changed out of band (as dave) and set back
 * or alerted; a private endpoint making a fix safe; a new vault; audit mode; the event of our own
 * PATCH ending in "compliant"; another automation fighting back until AccessManager stops; key
 * and SAS listings; reconcile for a change whose event never came; hostile deliveries; and an
 * approved exception, in force for its window and re-applied when it ends.
 */
import type { LocalStack } from '../../dev/localStack';
import { PEOPLE, RG } from '../../dev/tenant';
import { scopeKey } from '../../shared/domain/armIds';
import { asUser, closeSimAgents, deliver, startEnforcementStack, until, USER } from './enforcementHelpers';
import { guardrailRecords, KV_RESEARCH, patchOutOfBand, propertiesOf, settleAll, simResource, STSANDBOX, STSCRATCH, STWEIGHTS } from './guardrailHelpers';

const HOUR = 3_600_000;
/** Moved forward by the exception test only (the last one). */
let clockOffsetMs = 0;
let stack: LocalStack;

beforeAll(async () => {
  stack = await startEnforcementStack({ clock: { now: () => new Date(Date.now() + clockOffsetMs) } });
});

afterAll(async () => {
  await stack?.stop();
  await closeSimAgents();
});

/** Puts a setting back directly in the simulator (no event): the next test starts from the seed's value. */
function restore(resourceId: string, properties: Record<string, unknown>): void {
  const key = scopeKey(resourceId);
  const r = stack.sim.state.resources.get(key)!;
  stack.sim.state.resources.set(key, { ...r, properties: { ...r.properties, ...properties } });
}

/** The writes AccessManager itself made to a resource (its events: caller = our identity). */
function ownWrites(resourceId: string): number {
  return stack.sim.events
    .recent()
    .filter((d) => d.copy === 0 && scopeKey(d.subject).startsWith(scopeKey(resourceId)))
    .filter((d) => (d.event.data as { claims?: Record<string, string> }).claims?.['http://schemas.microsoft.com/identity/claims/objectidentifier'] === PEOPLE.accessManager).length;
}

const recordsOf = async (resourceId: string, property: string) => (await guardrailRecords(stack, resourceId)).filter((r) => r.details?.['property'] === property);

describe('every guarded setting of stweights (model-weights, enforce, private endpoint approved)', () => {
  test.each<[string, Record<string, unknown>, string, unknown]>([
    ['anonymous blob access', { allowBlobPublicAccess: true }, 'allowBlobPublicAccess', false],
    ['public network access', { publicNetworkAccess: 'Enabled' }, 'publicNetworkAccess', 'Disabled'],
    ['the firewall default action', { networkAcls: { bypass: 'AzureServices', defaultAction: 'Allow', ipRules: [{ value: '203.0.113.0/24', action: 'Allow' }], virtualNetworkRules: [] } }, 'networkAcls.defaultAction', 'Deny'],
    ['TLS 1.0', { minimumTlsVersion: 'TLS1_0' }, 'minimumTlsVersion', 'TLS1_2'],
    ['plain HTTP', { supportsHttpsTrafficOnly: false }, 'supportsHttpsTrafficOnly', true],
    ['cross-tenant replication', { allowCrossTenantReplication: true }, 'allowCrossTenantReplication', false],
  ])('%s: set back by AccessManager, recorded once with dave as actor, its own event ends in compliant', async (_name, change, property, restored) => {
    const read = (p: Record<string, unknown>) => (property === 'networkAcls.defaultAction' ? (p['networkAcls'] as { defaultAction: string }).defaultAction : p[property]);
    const before = ownWrites(STWEIGHTS);
    await patchOutOfBand(stack, STWEIGHTS, change);
    await until(() => read(propertiesOf(stack, STWEIGHTS)) === restored, `${property} to be ${String(restored)} again`, 10_000, 5);
    await settleAll(stack);
    const records = await recordsOf(STWEIGHTS, property);
    expect(records.map((r) => r.action)).toEqual(['guardrail.remediated']);
    expect(records[0]).toMatchObject({ actor: { id: PEOPLE.dave, name: 'dave@contoso.test' }, policyId: 'model-weights', mode: 'enforce', details: { required: restored } });
    // One PATCH of ours, whose event was delivered and judged without a second fix.
    expect(ownWrites(STWEIGHTS) - before).toBe(1);
    if (property === 'networkAcls.defaultAction') expect(propertiesOf(stack, STWEIGHTS)['networkAcls']).toMatchObject({ ipRules: [{ value: '203.0.113.0/24' }] });
  });

  test('shared key access on: alerted for a human, never switched off by AccessManager', async () => {
    await patchOutOfBand(stack, STWEIGHTS, { allowSharedKeyAccess: true });
    await settleAll(stack);
    expect(propertiesOf(stack, STWEIGHTS)['allowSharedKeyAccess']).toBe(true);
    const records = await recordsOf(STWEIGHTS, 'allowSharedKeyAccess');
    expect(records).toMatchObject([{ action: 'guardrail.violation', actor: { id: PEOPLE.dave }, reason: expect.stringMatching(/a human decides/) }]);
    restore(STWEIGHTS, { allowSharedKeyAccess: false });
  });

  test('without a private endpoint the public door is only alerted; approving an endpoint lets AccessManager close it', async () => {
    expect((await simResource(stack, 'DELETE', `${STWEIGHTS}/privateEndpointConnections/pe-stweights`)).status).toBe(200);
    await patchOutOfBand(stack, STWEIGHTS, { publicNetworkAccess: 'Enabled' });
    await settleAll(stack);
    expect(propertiesOf(stack, STWEIGHTS)['publicNetworkAccess']).toBe('Enabled');
    expect((await recordsOf(STWEIGHTS, 'publicNetworkAccess')).at(-1)).toMatchObject({ action: 'guardrail.violation', reason: expect.stringMatching(/no approved private endpoint/) });
    const approved = await simResource(stack, 'PUT', `${STWEIGHTS}/privateEndpointConnections/pe-stweights`, { body: { properties: { privateLinkServiceConnectionState: { status: 'Approved', description: 'weights network' } } } });
    expect(approved.status).toBe(200);
    await until(() => propertiesOf(stack, STWEIGHTS)['publicNetworkAccess'] === 'Disabled', 'public network access to be closed once the endpoint is approved', 10_000, 5);
  });
});

describe('key vaults', () => {
  test('kv-research: public network, firewall and leftover access policies set back; access-policy mode alerted (urgent), not switched', async () => {
    await patchOutOfBand(stack, KV_RESEARCH, { publicNetworkAccess: 'Enabled', networkAcls: { bypass: 'AzureServices', defaultAction: 'Allow', ipRules: [], virtualNetworkRules: [] } });
    await until(() => propertiesOf(stack, KV_RESEARCH)['publicNetworkAccess'] === 'Disabled', 'public network access to be disabled', 10_000, 5);
    const added = await simResource(stack, 'PUT', `${KV_RESEARCH}/accessPolicies/add`, {
      body: { properties: { accessPolicies: [{ tenantId: stack.sim.state.tenantId, objectId: PEOPLE.dave, permissions: { secrets: ['get', 'list'] } }] } },
    });
    expect(added.status).toBe(200);
    await until(() => (propertiesOf(stack, KV_RESEARCH)['accessPolicies'] as unknown[]).length === 0, 'the access policy to be removed', 10_000, 5);
    await patchOutOfBand(stack, KV_RESEARCH, { enableRbacAuthorization: false });
    await settleAll(stack);
    expect(propertiesOf(stack, KV_RESEARCH)).toMatchObject({ enableRbacAuthorization: false, networkAcls: { defaultAction: 'Deny' } });
    const records = await guardrailRecords(stack, KV_RESEARCH);
    expect(records.map((r) => `${r.action} ${String(r.details?.['property'])}`).sort()).toEqual([
      'guardrail.remediated accessPolicies',
      'guardrail.remediated networkAcls.defaultAction',
      'guardrail.remediated publicNetworkAccess',
      'guardrail.violation enableRbacAuthorization',
    ]);
    const alert = (stack.app.deps.notifier as unknown as { sent: Array<{ kind: string; subject: string }> }).sent.find((n) => n.kind === 'guardrail.violation' && n.subject.includes('enableRbacAuthorization'));
    expect(alert?.subject).toMatch(/^URGENT: /);
    restore(KV_RESEARCH, { enableRbacAuthorization: true });
  });

  test('ARM refuses to turn purge protection off; a new vault without it gets it, and its open public door is alerted (no private endpoint)', async () => {
    const refused = await simResource(stack, 'PATCH', KV_RESEARCH, { body: { properties: { enablePurgeProtection: false } } });
    expect([refused.status, refused.body?.error?.code]).toEqual([400, 'BadRequest']);
    const kv = `${RG.research}/providers/Microsoft.KeyVault/vaults/kv-scratch`;
    const created = await simResource(stack, 'PUT', kv, { body: { location: 'westeurope', properties: { tenantId: stack.sim.state.tenantId, sku: { family: 'A', name: 'standard' } } } });
    expect(created.status).toBe(200);
    await until(() => propertiesOf(stack, kv)['enablePurgeProtection'] === true, 'purge protection to be turned on', 10_000, 5);
    await settleAll(stack);
    const records = await guardrailRecords(stack, kv);
    expect(records.map((r) => `${r.action} ${String(r.details?.['property'])}`).sort()).toEqual(['guardrail.remediated enablePurgeProtection', 'guardrail.violation publicNetworkAccess']);
  });
});

describe('audit mode, key listings, reconcile and hostile deliveries', () => {
  test('stsandbox (audit mode): "would remediate" recorded once, nothing changed', async () => {
    await patchOutOfBand(stack, STSANDBOX, { allowBlobPublicAccess: true });
    await patchOutOfBand(stack, STSANDBOX, { allowBlobPublicAccess: true });
    await settleAll(stack);
    expect(propertiesOf(stack, STSANDBOX)['allowBlobPublicAccess']).toBe(true);
    expect(await guardrailRecords(stack, STSANDBOX)).toMatchObject([{ action: 'guardrail.wouldRemediate', mode: 'audit', policyId: 'sandbox' }]);
    restore(STSANDBOX, { allowBlobPublicAccess: false });
  });

  test('dave lists the keys of stweights and signs an account SAS: recorded as data access outside every role grant', async () => {
    expect((await simResource(stack, 'POST', `${STWEIGHTS}/listKeys`)).status).toBe(200);
    const sas = await simResource(stack, 'POST', `${STWEIGHTS}/ListAccountSas`, { body: { signedServices: 'b', signedResourceTypes: 'sco', signedPermission: 'rl', signedExpiry: '2026-12-01T00:00:00Z' } });
    expect(sas.status).toBe(200);
    await settleAll(stack);
    const records = (await guardrailRecords(stack, STWEIGHTS)).filter((r) => r.action.startsWith('storage.'));
    expect(records.map((r) => [r.action, r.actor.id]).sort()).toEqual([
      ['storage.accountSasListed', PEOPLE.dave],
      ['storage.keysListed', PEOPLE.dave],
    ]);
  });

  test('a change whose event never came is found by the reconcile timer', async () => {
    await simResource(stack, 'PATCH', STWEIGHTS, { body: { properties: { minimumTlsVersion: 'TLS1_1' } }, events: false });
    await settleAll(stack);
    expect(propertiesOf(stack, STWEIGHTS)['minimumTlsVersion']).toBe('TLS1_1');
    const res = await fetch(`${stack.url}/admin/functions/reconcile`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"input":""}' });
    expect(res.status).toBe(202);
    await until(() => propertiesOf(stack, STWEIGHTS)['minimumTlsVersion'] === 'TLS1_2', 'reconcile to set TLS back', 20_000, 20);
    await until(async () => (await recordsOf(STWEIGHTS, 'minimumTlsVersion')).length === 2, 'the record', 10_000, 20);
    expect((await recordsOf(STWEIGHTS, 'minimumTlsVersion')).at(-1)).toMatchObject({ action: 'guardrail.remediated', actor: { name: 'unknown (found by reconcile)' }, details: { observed: 'TLS1_1', via: 'reconcile' } });
  });

  test('storageEvents records the blob events the policy watches (BlobDeleted on stweights), and nothing else', async () => {
    const blob = (eventType: string) => ({
      id: `blob-${eventType}`,
      topic: STWEIGHTS,
      subject: '/blobServices/default/containers/checkpoints/blobs/run-42/step-1000.safetensors',
      eventType,
      eventTime: '2026-11-20T10:06:00Z',
      dataVersion: '',
      metadataVersion: '1',
      data: { api: 'DeleteBlob', url: 'https://stweights.blob.core.windows.net/checkpoints/run-42/step-1000.safetensors', blobType: 'BlockBlob' },
    });
    for (const type of ['Microsoft.Storage.BlobDeleted', 'Microsoft.Storage.BlobDeleted', 'Microsoft.Storage.BlobCreated']) {
      expect((await deliver(stack, [blob(type)], { functionName: 'storageEvents' })).status).toBeLessThan(300);
    }
    const records = (await guardrailRecords(stack, STWEIGHTS)).filter((r) => r.action === 'storage.blobEvent');
    expect(records).toMatchObject([{ eventId: 'blob-Microsoft.Storage.BlobDeleted', details: { container: 'checkpoints', blob: 'run-42/step-1000.safetensors', api: 'DeleteBlob' } }]);
  });

  test('hostile deliveries are refused with 400 and write nothing; the host keeps serving', async () => {
    const count = (await guardrailRecords(stack, STWEIGHTS)).length;
    const action = {
      id: 'hostile-1',
      topic: `/subscriptions/${stack.sim.state.subscriptionId}`,
      subject: STWEIGHTS,
      eventType: 'Microsoft.Resources.ResourceActionSuccess',
      eventTime: '2026-11-20T10:00:00Z',
      dataVersion: '2',
      metadataVersion: '1',
      data: { resourceUri: `${STWEIGHTS}/../stother`, operationName: 'Microsoft.Storage/storageAccounts/listKeys/action', status: 'Succeeded' },
    };
    expect((await deliver(stack, [action])).status).toBe(400);
    expect((await deliver(stack, [{ ...action, data: { resourceUri: STWEIGHTS, operationName: 'Microsoft.Storage/storageAccounts/listKeys/action\u202e' } }])).status).toBe(400);
    expect((await deliver(stack, [{ ...action, eventType: 'Microsoft.KeyVault.SecretNewVersionCreated', topic: KV_RESEARCH, data: { VaultName: 'kv-other', ObjectType: 'Secret', ObjectName: 'x' } }], { functionName: 'keyVaultEvents' })).status).toBe(400);
    expect((await deliver(stack, [{ ...action, eventType: 'Microsoft.Storage.BlobDeleted', topic: STWEIGHTS, subject: '/blobServices/default/containers/../blobs/x', data: { api: 'DeleteBlob', url: 'https://x/y' } }], { functionName: 'storageEvents' })).status).toBe(400);
    expect((await guardrailRecords(stack, STWEIGHTS)).length).toBe(count);
    expect((await fetch(`${stack.url}/api/health`)).status).toBe(200);
  });
});

describe('another automation fighting back', () => {
  test('stscratch flipped back after every fix: three fixes, then contested, recorded and alerted once, and left alone', async () => {
    const values: unknown[] = [];
    for (let round = 0; round < 5; round++) {
      await patchOutOfBand(stack, STSCRATCH, { allowBlobPublicAccess: true });
      await settleAll(stack);
      values.push(propertiesOf(stack, STSCRATCH)['allowBlobPublicAccess']);
    }
    expect(values).toEqual([false, false, false, true, true]);
    const records = await recordsOf(STSCRATCH, 'allowBlobPublicAccess');
    expect(records.map((r) => r.action)).toEqual(['guardrail.remediated', 'guardrail.remediated', 'guardrail.remediated', 'guardrail.contested']);
    expect(records.at(-1)).toMatchObject({ actor: { id: PEOPLE.dave }, reason: expect.stringMatching(/another automation is fighting it/) });
    const alerts = (stack.app.deps.notifier as unknown as { sent: Array<{ kind: string }> }).sent.filter((n) => n.kind === 'guardrail.contested');
    expect(alerts).toHaveLength(1);
    restore(STSCRATCH, { allowBlobPublicAccess: false });
  });
});

describe('an approved, time-bound exception', () => {
  test('alice asks for public blob access on stweights for 1 hour; two approvers agree; in force until it ends, then re-applied and recorded', async () => {
    const created = await asUser<{ id: string; status: string; kind: string }>(stack, USER.alice, 'POST', '/api/requests', {
      kind: 'guardrailException',
      scope: STWEIGHTS,
      guardrail: { property: 'allowBlobPublicAccess', allowedValue: true, compensatingControl: 'only the model card container is public; weights stay private' },
      duration: 'PT1H',
      justification: 'publish the release model card',
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ kind: 'guardrailException', status: 'pending' });
    await asUser(stack, USER.bob, 'POST', `/api/requests/${created.body.id}/approve`, { comment: 'for the release' });
    const approved = await asUser<{ status: string; fulfilled: boolean }>(stack, USER.carol, 'POST', `/api/requests/${created.body.id}/approve`, {});
    expect(approved.body).toMatchObject({ status: 'approved', fulfilled: true });

    await patchOutOfBand(stack, STWEIGHTS, { allowBlobPublicAccess: true });
    await settleAll(stack);
    expect(propertiesOf(stack, STWEIGHTS)['allowBlobPublicAccess']).toBe(true);

    clockOffsetMs = HOUR + 60_000;
    const res = await fetch(`${stack.url}/admin/functions/endGuardrailExceptions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"input":""}' });
    expect(res.status).toBe(202);
    await until(() => propertiesOf(stack, STWEIGHTS)['allowBlobPublicAccess'] === false, 'the guardrail to be re-applied', 20_000, 20);
    await until(async () => (await guardrailRecords(stack, STWEIGHTS)).some((r) => r.action === 'guardrail.exceptionEnded'), 'the end to be recorded', 10_000, 20);
    await settleAll(stack);
    const records = (await guardrailRecords(stack, STWEIGHTS)).filter((r) => r.requestId === created.body.id || (r.action === 'guardrail.remediated' && /exception .* ended/.test(r.reason ?? '')));
    // While in force nothing was fixed or recorded; at its end: the end, then the fix.
    expect(records.map((r) => r.action)).toEqual(['request.created', 'approval.recorded', 'approval.recorded', 'guardrail.exceptionGranted', 'guardrail.exceptionEnded', 'guardrail.remediated']);
    expect(records.at(-1)).toMatchObject({ details: { property: 'allowBlobPublicAccess', observed: true, via: 'exceptionEnded' } });
  });
});
