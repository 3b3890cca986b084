/**
 * keyVaultEvents end to end: the real SecretClient writes secrets into the simulated kv-research,
 * whose system topic delivers Microsoft.KeyVault.* events to the host; AccessManager checks each
 * new version against the vault's own metadata, tells the owners before a secret expires, and
 * the scanSecrets timer finds what changed without an event.
 */
import type { LocalStack } from '../../dev/localStack';
import { PEOPLE } from '../../dev/tenant';
import type { Notification } from '../../shared/ports/notifier';
import { closeSimAgents, startEnforcementStack, until } from './enforcementHelpers';
import { guardrailRecords, KV_RESEARCH, secretClient, settleAll } from './guardrailHelpers';

const DAY = 86_400_000;
let stack: LocalStack;

beforeAll(async () => {
  stack = await startEnforcementStack();
  // dave (Owner) holds no data actions: Key Vault Secrets Officer on the vault lets him write secrets.
  stack.sim.state.seedAssignment({ scope: KV_RESEARCH, role: 'Key Vault Secrets Officer', principalId: PEOPLE.dave });
});

afterAll(async () => {
  await stack?.stop();
  await closeSimAgents();
});

const sent = (): Notification[] => (stack.app.deps.notifier as unknown as { sent: Notification[] }).sent;
const secretRecords = async (name: string) => (await guardrailRecords(stack, KV_RESEARCH)).filter((r) => r.details?.['name'] === name);

test('a new secret without an expiry is recorded and alerted; one that expires within 90 days is not', async () => {
  const dave = await secretClient(stack, KV_RESEARCH);
  const forever = await dave.setSecret('db-password', 's3cret');
  await dave.setSecret('api-key', 'k', { expiresOn: new Date(Date.now() + 30 * DAY) });
  await until(async () => (await secretRecords('db-password')).length > 0, 'the violation to be recorded', 10_000, 20);
  await settleAll(stack);
  expect(await secretRecords('db-password')).toMatchObject([
    { action: 'guardrail.violation', policyId: 'research', scope: KV_RESEARCH, details: { object: 'secret', version: forever.properties.version, rule: 'noExpiry', via: 'SecretNewVersionCreated' } },
  ]);
  expect(await secretRecords('api-key')).toEqual([]);
  // The vault's owners (security-team: erin) and the security channel hear it.
  expect(sent().find((n) => n.kind === 'guardrail.violation' && n.subject.includes('db-password'))).toMatchObject({ recipients: [PEOPLE.erin], securityChannel: true });
});

test('near expiry: the owners are told, once', async () => {
  const dave = await secretClient(stack, KV_RESEARCH);
  await dave.setSecret('tls-cert-pass', 'p', { expiresOn: new Date(Date.now() + 2 * DAY) });
  await settleAll(stack);
  for (let i = 0; i < 2; i++) {
    const res = await fetch(`${stack.sim.url}/sim/keyvault/expiry`, { method: 'POST', dispatcher: new (await import('undici')).Agent({ connect: { ca: stack.ca } }) } as RequestInit);
    expect(res.status).toBe(200);
  }
  const notices = () => sent().filter((n) => n.kind === 'secret.nearExpiry' && n.subject.includes('tls-cert-pass'));
  await until(() => notices().length > 0, 'the near-expiry notice', 10_000, 20);
  await settleAll(stack);
  expect(notices()).toMatchObject([{ recipients: [PEOPLE.erin], subject: 'Secret expires soon: tls-cert-pass in kv-research' }]);
});

test('an expiry pushed out without an event (attribute change) is found by the scanSecrets timer', async () => {
  const dave = await secretClient(stack, KV_RESEARCH);
  const created = await dave.setSecret('storage-conn', 'c', { expiresOn: new Date(Date.now() + 10 * DAY) });
  await settleAll(stack);
  expect(await secretRecords('storage-conn')).toEqual([]);
  await dave.updateSecretProperties('storage-conn', created.properties.version!, { expiresOn: new Date(Date.now() + 400 * DAY) });
  const res = await fetch(`${stack.url}/admin/functions/scanSecrets`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"input":""}' });
  expect(res.status).toBe(202);
  await until(async () => (await secretRecords('storage-conn')).length > 0, 'the scan to record it', 10_000, 20);
  expect(await secretRecords('storage-conn')).toMatchObject([{ action: 'guardrail.violation', details: { rule: 'expiryTooFar', via: 'secret scan' } }]);
});
