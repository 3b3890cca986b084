/**
 * The blast-radius breaker protects standing access and nothing else (finding 1 of issue 10),
 * end to end with model-weights allowed 3 standing revocations per 4 s:
 * - fresh rogue assignments (the decoys dave used to trip it) are always revoked, never counted,
 *   and repeated ones raise one security alert naming dave; revocation notices go to the security
 *   destination, not to mallory;
 * - standing assignments (created before the policy set took effect) revoked in a spree trip it:
 *   recorded once, alerted as critical, health degraded naming the policy; the rest is only
 *   recorded ("would revoke"), while fresh rogue assignments are still revoked;
 * - an admin's reset starts a paced reconcile at once that revokes what was held without
 *   tripping again.
 */
import type { LocalStack } from '../../dev/localStack';
import { principalHeaders } from '../../shared/domain/caller';
import { scopeKey } from '../../shared/domain/armIds';
import { BreakerStore } from '../../shared/adapters/cosmos/breakerStore';
import type { CountOutcome } from '../../shared/ports/breakers';
import { RecordingNotifier } from '../../shared/adapters/recordingNotifier';
import { PEOPLE, RG } from '../../dev/tenant';
import {
  asUser,
  assignOutOfBand,
  auditRecords,
  closeSimAgents,
  decisionsFor,
  exists,
  policiesCopy,
  ROLE,
  settle,
  startEnforcementStack,
  until,
  USER,
  withBreaker,
  type RogueAssignment,
} from './enforcementHelpers';

const THRESHOLD = 3;
let stack: LocalStack;
let cleanupPolicies: () => Promise<void>;
const notifier = new RecordingNotifier();

beforeAll(async () => {
  const policies = await policiesCopy((file, text) => (file === 'model-weights.yaml' ? withBreaker(text, THRESHOLD, 'PT4S') : text));
  cleanupPolicies = policies.cleanup;
  stack = await startEnforcementStack({ policiesDir: policies.dir, notifier });
});

afterAll(async () => {
  await stack?.stop();
  await closeSimAgents();
  await cleanupPolicies?.();
});

const OWNER = '8e3af657-a8ff-443c-a75c-2fe8c4bcb635';
const BLOB_OWNER = 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b';
/** Roles of the weights policy's scope, one (principal, role, scope) triple each. */
const WEIGHTS_ROLES = [
  ROLE.blobReader,
  ROLE.blobContributor,
  BLOB_OWNER,
  ROLE.reader,
  'b24988ac-6180-42a0-ab88-20f7382dd24c', // Contributor
  '17d1049b-9a84-46fb-8f53-869881c3d3ab', // Storage Account Contributor
  '00482a5a-887f-4fb3-b363-3b7fe8e74483', // Key Vault Administrator
];

async function trips(): Promise<number> {
  return (await auditRecords(stack, { action: 'breaker.tripped' })).filter((r) => r.policyId === 'model-weights').length;
}

async function health(): Promise<{ status: string; problems: Array<{ code: string; message: string }>; trippedBreakers: Array<{ policyId: string }> }> {
  return (await fetch(`${stack.url}/api/health`, { headers: principalHeaders({ ...USER.erin, roles: [...USER.erin.roles] }) })).json() as Promise<never>;
}

describe('fresh rogue assignments: always revoked, never counted', () => {
  it('a loop of decoys cannot trip the breaker, and what dave wanted is revoked too', async () => {
    const decoys: RogueAssignment[] = [];
    for (let i = 0; i < THRESHOLD * 2; i++) {
      // The same triple again and again, as in the finding: create, wait for the revocation, repeat.
      const rogue = await assignOutOfBand(stack, { scope: RG.weights, roleGuid: ROLE.blobReader, principalId: PEOPLE.mallory });
      await until(() => !exists(stack, rogue.id), `decoy ${i} to be revoked`);
      decoys.push(rogue);
    }
    const wanted = await assignOutOfBand(stack, { scope: RG.weights, roleGuid: BLOB_OWNER, principalId: PEOPLE.mallory });
    await until(() => !exists(stack, wanted.id), 'the wanted Storage Blob Data Owner to be revoked');
    await settle(stack);

    for (const r of [...decoys, wanted]) expect(await decisionsFor(stack, r.id, RG.weights)).toEqual({ 'assignment.revoked': 1 });
    const [revoked] = (await auditRecords(stack, { action: 'assignment.revoked' })).filter((r) => scopeKey(r.assignmentId!) === scopeKey(wanted.id));
    expect(revoked).toMatchObject({ actor: { id: PEOPLE.dave }, details: { standing: false, outcome: 'deleted' } });
    expect(await trips()).toBe(0);
    expect((await stack.deps.breakers.read('model-weights'))?.tripped ?? false).toBe(false);
  });

  it('repeated rogue creations raise one security alert naming dave', async () => {
    const alerts = await auditRecords(stack, { action: 'enforcement.rogueActor' });
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ actor: { id: PEOPLE.dave, name: 'dave@contoso.test' }, details: { count: 3 } });
    const told = notifier.sent.filter((n) => n.kind === 'enforcement.rogueActor');
    expect(told).toHaveLength(1);
    expect(told[0]).toMatchObject({ securityChannel: true, subject: expect.stringContaining('dave@contoso.test') });
  });

  it('revocation notices go to the security destination, not to the principal who got the access', async () => {
    const notices = notifier.sent.filter((n) => n.kind === 'assignment.revoked');
    expect(notices.length).toBeGreaterThanOrEqual(THRESHOLD * 2 + 1);
    for (const n of notices) {
      expect(n.securityChannel).toBe(true);
      expect(n.recipients).not.toContain(PEOPLE.mallory);
    }
  });
});

describe('standing access: what the breaker protects', () => {
  let standing: string[];

  it('a spree of standing revocations (a policy change) trips it once: recorded, alerted, health degraded', async () => {
    // Access that stood long before the policy set in force took effect; no events: reconcile finds it.
    standing = WEIGHTS_ROLES.map((role) => stack.sim.state.seedAssignment({ scope: RG.weights, role, principalId: PEOPLE.mallory, createdOn: '2025-12-01T09:00:00.000Z' }).id);
    await stack.host.runTimer('reconcile');
    const gone = standing.filter((id) => !exists(stack, id));
    const held = standing.filter((id) => exists(stack, id));
    expect(gone).toHaveLength(THRESHOLD);
    expect(held).toHaveLength(standing.length - THRESHOLD);
    for (const id of gone) expect(await decisionsFor(stack, id, RG.weights)).toEqual({ 'assignment.revoked': 1 });
    for (const id of held) expect(await decisionsFor(stack, id, RG.weights)).toEqual({ 'assignment.wouldRevoke': 1 });
    const [wouldRevoke] = (await auditRecords(stack, { action: 'assignment.wouldRevoke', scope: RG.weights })).filter((r) => scopeKey(r.assignmentId!) === scopeKey(held[0]!));
    expect(wouldRevoke).toMatchObject({ policyId: 'model-weights', mode: 'audit', details: { breaker: true, standing: true } });

    expect(await trips()).toBe(1);
    expect(notifier.sent.filter((n) => n.kind === 'breaker.tripped')).toEqual([expect.objectContaining({ securityChannel: true, severity: 'critical', policyId: 'model-weights' })]);
    const h = await health();
    expect(h.status).toBe('degraded');
    expect(h.trippedBreakers).toEqual([expect.objectContaining({ policyId: 'model-weights' })]);
    expect(h.problems).toEqual([expect.objectContaining({ code: 'BreakerTripped', message: expect.stringContaining('model-weights') })]);
    // Anyone else learns that enforcement is degraded, not where.
    const anyone = (await (await fetch(`${stack.url}/api/health`)).json()) as Record<string, unknown>;
    expect(anyone).toMatchObject({ status: 'degraded', problems: [{ code: 'BreakerTripped', message: 'A blast-radius breaker is tripped.' }] });
    expect(anyone['trippedBreakers']).toBeUndefined();
    expect(JSON.stringify(anyone)).not.toContain('model-weights');
  });

  it('while it is tripped, a fresh rogue assignment is still revoked', async () => {
    const rogue = await assignOutOfBand(stack, { scope: RG.weights, roleGuid: OWNER, principalId: PEOPLE.mallory });
    await until(() => !exists(stack, rogue.id), 'the fresh Owner to be revoked despite the trip');
    await settle(stack);
    expect(await decisionsFor(stack, rogue.id, RG.weights)).toEqual({ 'assignment.revoked': 1 });
    expect(await trips()).toBe(1);
  });

  it('reset: admin only, known policies only', async () => {
    expect((await asUser(stack, USER.bob, 'POST', '/api/enforcement/reset', { policyId: 'model-weights' })).status).toBe(403);
    const unknown = await asUser<{ error: { code: string } }>(stack, USER.erin, 'POST', '/api/enforcement/reset', { policyId: 'no-such-policy' });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('PolicyNotFound');
    expect((await asUser(stack, USER.erin, 'POST', '/api/enforcement/reset', { policy: 'model-weights' })).status).toBe(400);
  });

  it('a reset starts a paced reconcile at once: what was held is revoked at the breaker pace, without a second trip', async () => {
    const reset = await asUser(stack, USER.erin, 'POST', '/api/enforcement/reset', { policyId: 'model-weights' });
    expect(reset.status).toBe(200);
    expect(reset.body).toMatchObject({ policyId: 'model-weights', reset: true, mode: 'enforce', reconcile: 'started' });
    // 4 held with a budget of 3 per 4 s: the reconcile waits for the next window once, then finishes.
    await until(() => standing.every((id) => !exists(stack, id)), 'every held standing assignment to be revoked', 20_000, 50);
    await settle(stack);
    for (const id of standing) expect((await decisionsFor(stack, id, RG.weights))['assignment.revoked']).toBe(1);
    expect(await trips()).toBe(1);
    const resets = await auditRecords(stack, { action: 'breaker.reset' });
    expect(resets).toEqual([expect.objectContaining({ actor: expect.objectContaining({ id: PEOPLE.erin }), policyId: 'model-weights' })]);
    await until(async () => (await health()).status === 'ok', 'health to be ok again');
    const again = await asUser(stack, USER.erin, 'POST', '/api/enforcement/reset', { policyId: 'model-weights' });
    expect(again.body).toMatchObject({ reset: false, reconcile: 'notNeeded' });
  });
});

describe('the breaker shared by several instances (one counter per process, the same Cosmos document)', () => {
  const policy = { id: 'two-instances', breaker: { maxRevocations: 5, windowMs: 600_000 } };

  it('admits exactly the threshold across instances, trips once, and a reset made elsewhere is seen', async () => {
    const state = stack.containers.state;
    const [a, b] = [new BreakerStore(state), new BreakerStore(state)];
    const now = new Date();
    const keys = Array.from({ length: 12 }, (_, i) => `revoke:bench-${i}`);
    // Interleaved and concurrent, each key delivered to both instances (a duplicate delivery).
    const outcomes = await Promise.all(keys.flatMap((k, i) => [(i % 2 ? a : b).count(policy, k, now), (i % 2 ? b : a).count(policy, k, now)]));
    const perKey = keys.map((_, i): [CountOutcome, CountOutcome] => [outcomes[2 * i]!, outcomes[2 * i + 1]!]);
    const admitted = perKey.filter(([x, y]) => x.allowed || y.allowed);
    expect(admitted).toHaveLength(5);
    // A duplicate of an admitted key is admitted too; a refused key is refused on both.
    for (const [x, y] of perKey) expect(x.allowed).toBe(y.allowed);
    const tripped = outcomes.filter((o) => o.justTripped);
    // The tripping key may be reported by both of its deliveries (its trip record is idempotent), never by another key.
    expect(new Set(perKey.flatMap(([x, y], i) => (x.justTripped || y.justTripped ? [i] : []))).size).toBe(1);
    expect(tripped.length).toBeLessThanOrEqual(2);
    expect((await a.read(policy.id))?.tripped).toBe(true);

    // Instance a remembers "tripped"; the reset happens through the other one's store path.
    expect(await new BreakerStore(state).reset(policy.id, new Date(), PEOPLE.erin)).toBe(true);
    expect(await a.count(policy, 'revoke:after-reset', new Date())).toEqual({ allowed: true, justTripped: false });
    // An admitted key stays admitted after the reset cleared the window.
    expect(await b.count(policy, 'revoke:after-reset', new Date())).toEqual({ allowed: true, justTripped: false });
  });

  it('after a reset it paces: a spent budget answers "retry at the next window" instead of tripping, until pacing ends', async () => {
    const state = stack.containers.state;
    const store = new BreakerStore(state);
    const paced = { id: 'paced', breaker: { maxRevocations: 2, windowMs: 600_000 } };
    const now = new Date();
    for (const k of ['p1', 'p2']) expect((await store.count(paced, k, now)).allowed).toBe(true);
    expect(await store.count(paced, 'p3', now)).toEqual({ allowed: false, justTripped: true });
    await store.reset(paced.id, now, PEOPLE.erin);
    for (const k of ['p4', 'p5']) expect((await store.count(paced, k, now)).allowed).toBe(true);
    const waiting = await store.count(paced, 'p6', now);
    expect(waiting).toMatchObject({ allowed: false, justTripped: false, retryAt: new Date(now.getTime() + 600_000).toISOString() });
    expect((await store.read(paced.id))?.tripped).toBe(false);
    await store.endPacing(paced.id);
    expect(await store.count(paced, 'p7', now)).toEqual({ allowed: false, justTripped: true });
  });
});
