/**
 * The blast-radius breaker end to end: with model-weights allowed 3 revocations per window, the
 * 4th rogue assignment on rg-weights trips it (recorded once, security channel told), later
 * ones are only recorded as "would revoke", other policies keep revoking, and an admin's reset
 * (POST /api/enforcement/reset) lets revocations resume.
 */
import type { LocalStack } from '../../dev/localStack';
import { scopeKey } from '../../shared/domain/armIds';
import { BreakerStore } from '../../shared/adapters/cosmos/breakerStore';
import type { CountOutcome } from '../../shared/ports/breakers';
import { RecordingNotifier } from '../../shared/adapters/recordingNotifier';
import { PEOPLE, RG, SUBSCRIPTION_SCOPE } from '../../dev/tenant';
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
  const policies = await policiesCopy((file, text) => (file === 'model-weights.yaml' ? withBreaker(text, THRESHOLD, 'PT10M') : text));
  cleanupPolicies = policies.cleanup;
  stack = await startEnforcementStack({ policiesDir: policies.dir, notifier });
});

afterAll(async () => {
  await stack?.stop();
  await closeSimAgents();
  await cleanupPolicies?.();
});

const WEIGHTS_ROLES = [
  ROLE.blobReader,
  ROLE.blobContributor,
  'b7e6dc6d-f1e8-4753-8033-0f276bb0955b', // Storage Blob Data Owner
  ROLE.reader,
  'b24988ac-6180-42a0-ab88-20f7382dd24c', // Contributor
  '17d1049b-9a84-46fb-8f53-869881c3d3ab', // Storage Account Contributor
];

/** One rogue assignment at a time, each decided before the next: the order the breaker sees is fixed. */
async function rogueOneByOne(scope: string, principalId: string, roles: string[]): Promise<RogueAssignment[]> {
  const made: RogueAssignment[] = [];
  for (const roleGuid of roles) {
    const rogue = await assignOutOfBand(stack, { scope, roleGuid, principalId });
    await until(async () => Object.keys(await decisionsFor(stack, rogue.id, scope)).length > 0, `a decision on ${rogue.id}`);
    made.push(rogue);
  }
  await settle(stack);
  return made;
}

async function breakerTrips(): Promise<number> {
  return (await auditRecords(stack, { action: 'breaker.tripped' })).filter((r) => r.policyId === 'model-weights').length;
}

describe('the blast-radius breaker', () => {
  let held: RogueAssignment[];

  it('trips at its threshold: later revocations under that policy are only recorded, once', async () => {
    const made = await rogueOneByOne(RG.weights, PEOPLE.mallory, WEIGHTS_ROLES.slice(0, 5));
    const revoked = made.slice(0, THRESHOLD);
    held = made.slice(THRESHOLD);
    for (const r of revoked) {
      expect(exists(stack, r.id)).toBe(false);
      expect(await decisionsFor(stack, r.id, RG.weights)).toEqual({ 'assignment.revoked': 1 });
    }
    for (const r of held) {
      expect(exists(stack, r.id)).toBe(true);
      expect(await decisionsFor(stack, r.id, RG.weights)).toEqual({ 'assignment.wouldRevoke': 1 });
    }
    const [wouldRevoke] = (await auditRecords(stack, { action: 'assignment.wouldRevoke', scope: RG.weights })).filter((r) => scopeKey(r.assignmentId!) === scopeKey(held[0]!.id));
    expect(wouldRevoke).toMatchObject({ policyId: 'model-weights', mode: 'audit', details: { breaker: true } });

    const trips = (await auditRecords(stack, { action: 'breaker.tripped' })).filter((r) => r.policyId === 'model-weights');
    expect(trips).toHaveLength(1);
    expect(trips[0]).toMatchObject({ policyId: 'model-weights', mode: 'audit', assignmentId: held[0]!.id });
    expect(notifier.sent.filter((n) => n.kind === 'breaker.tripped')).toEqual([expect.objectContaining({ securityChannel: true })]);
  });

  it('stops revocations for that policy only: rg-research and the subscription still revoke', async () => {
    const research = await assignOutOfBand(stack, { scope: RG.research, roleGuid: ROLE.blobContributor, principalId: PEOPLE.mallory });
    const subscription = await assignOutOfBand(stack, { scope: SUBSCRIPTION_SCOPE, roleGuid: ROLE.reader, principalId: PEOPLE.mallory });
    const stillHeld = await assignOutOfBand(stack, { scope: RG.weights, roleGuid: WEIGHTS_ROLES[5]!, principalId: PEOPLE.mallory });
    await until(() => !exists(stack, research.id) && !exists(stack, subscription.id), 'the other policies to revoke');
    await until(async () => (await decisionsFor(stack, stillHeld.id, RG.weights))['assignment.wouldRevoke'], 'the held one to be recorded');
    await settle(stack);
    expect(exists(stack, stillHeld.id)).toBe(true);
    held.push(stillHeld);
    expect(await breakerTrips()).toBe(1);
  });

  it('reset: admin only, known policies only; afterwards revocations resume', async () => {
    const notAdmin = await asUser(stack, USER.bob, 'POST', '/api/enforcement/reset', { policyId: 'model-weights' });
    expect(notAdmin.status).toBe(403);
    const unknown = await asUser<{ error: { code: string } }>(stack, USER.erin, 'POST', '/api/enforcement/reset', { policyId: 'no-such-policy' });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('PolicyNotFound');
    const malformed = await asUser(stack, USER.erin, 'POST', '/api/enforcement/reset', { policy: 'model-weights' });
    expect(malformed.status).toBe(400);

    // Still tripped: nothing above changed it.
    const stillHeld = await assignOutOfBand(stack, { scope: RG.weights, roleGuid: ROLE.blobReader, principalId: PEOPLE.alice });
    await until(async () => (await decisionsFor(stack, stillHeld.id, RG.weights))['assignment.wouldRevoke'], 'a would-revoke while tripped');
    held.push(stillHeld);

    const reset = await asUser(stack, USER.erin, 'POST', '/api/enforcement/reset', { policyId: 'model-weights' });
    expect(reset.status).toBe(200);
    expect(reset.body).toMatchObject({ policyId: 'model-weights', reset: true, mode: 'enforce' });
    const again = await asUser(stack, USER.erin, 'POST', '/api/enforcement/reset', { policyId: 'model-weights' });
    expect(again.body).toMatchObject({ reset: false });
    const resets = await auditRecords(stack, { action: 'breaker.reset' });
    expect(resets).toHaveLength(1);
    expect(resets[0]).toMatchObject({ actor: { id: PEOPLE.erin }, policyId: 'model-weights' });

    const after = await assignOutOfBand(stack, { scope: RG.weights, roleGuid: ROLE.blobReader, principalId: PEOPLE.bob });
    await until(() => !exists(stack, after.id), 'revocation to resume after the reset');
    await settle(stack);
    expect(await decisionsFor(stack, after.id, RG.weights)).toEqual({ 'assignment.revoked': 1 });
    // What was only recorded while tripped stays until someone (or reconcile) acts on it.
    for (const r of held) expect(exists(stack, r.id)).toBe(true);
  });

  it('under a concurrent burst it admits exactly the threshold and trips once more', async () => {
    // One revocation of this window is used by the test above.
    const burst = await Promise.all(
      [PEOPLE.carol, PEOPLE.erin].flatMap((principalId) => WEIGHTS_ROLES.slice(0, 3).map((roleGuid) => assignOutOfBand(stack, { scope: RG.weights, roleGuid, principalId }))),
    );
    await until(async () => {
      const decided = await Promise.all(burst.map(async (r) => Object.keys(await decisionsFor(stack, r.id, RG.weights)).length));
      return decided.every((n) => n > 0);
    }, 'a decision on every burst assignment');
    await settle(stack);
    const gone = burst.filter((r) => !exists(stack, r.id));
    expect(gone).toHaveLength(THRESHOLD - 1);
    for (const r of burst) {
      expect(await decisionsFor(stack, r.id, RG.weights)).toEqual(exists(stack, r.id) ? { 'assignment.wouldRevoke': 1 } : { 'assignment.revoked': 1 });
    }
    expect(await breakerTrips()).toBe(2);
    expect(notifier.sent.filter((n) => n.kind === 'breaker.tripped')).toHaveLength(2);
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
    const trips = outcomes.filter((o) => o.justTripped);
    // The tripping key may be reported by both of its deliveries (its trip record is idempotent), never by another key.
    expect(new Set(perKey.flatMap(([x, y], i) => (x.justTripped || y.justTripped ? [i] : []))).size).toBe(1);
    expect(trips.length).toBeLessThanOrEqual(2);
    expect((await a.read(policy.id))?.tripped).toBe(true);

    // Instance a remembers "tripped"; the reset happens through the other one's store path.
    expect(await new BreakerStore(state).reset(policy.id, new Date(), PEOPLE.erin)).toBe(true);
    expect(await a.count(policy, 'revoke:after-reset', new Date())).toEqual({ allowed: true, justTripped: false });
    // An admitted key stays admitted after the reset cleared the window.
    expect(await b.count(policy, 'revoke:after-reset', new Date())).toEqual({ allowed: true, justTripped: false });
  });
});
