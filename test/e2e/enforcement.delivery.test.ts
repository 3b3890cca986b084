/**
 * Enforcement under hostile delivery, through the simulated tenant: every event three times,
 * shuffled and late; a tenth of the events lost (one reconcile run catches up); ARM failing a
 * third of its calls. Each time the end state is the expected one and every decision is
 * recorded exactly once.
 *
 * The breaker of every policy is raised far above the number of assignments made here: these
 * tests are about delivery, and the breaker has its own test file.
 */
import type { LocalStack } from '../../dev/localStack';
import { scopeKey } from '../../shared/domain/armIds';
import type { AuditRecord } from '../../shared/domain/audit/record';
import { PEOPLE, RG } from '../../dev/tenant';
import {
  approvedGrant,
  assignOutOfBand,
  auditRecords,
  capturedEvents,
  closeSimAgents,
  deleteOutOfBand,
  deliver,
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

let stack: LocalStack;
let cleanupPolicies: () => Promise<void>;

beforeAll(async () => {
  const policies = await policiesCopy((_file, text) => withBreaker(text, 100_000));
  cleanupPolicies = policies.cleanup;
  stack = await startEnforcementStack({ policiesDir: policies.dir });
});

afterAll(async () => {
  await stack?.stop();
  await closeSimAgents();
  await cleanupPolicies?.();
});

afterEach(() => {
  Object.assign(stack.sim.knobs, { eventDelayMs: 0, duplicateRate: 0, reorder: false, dropRate: 0, armFailureRate: 0 });
});

/** Principals x roles: ARM allows one assignment per (principal, role, scope), so each rogue needs its own pair. */
const PRINCIPALS = [PEOPLE.mallory, PEOPLE.alice, PEOPLE.bob, PEOPLE.carol, PEOPLE.erin];
const ROLES = [
  ROLE.owner,
  '18d7d88d-d35e-4fb5-a5c3-7773c20a72d9', // User Access Administrator
  'f58310d9-a9f6-439a-9e8d-f62e7b41a168', // Role Based Access Control Administrator
  'acdd72a7-3385-48ef-bd42-f606fba81ae7', // Reader
  'b24988ac-6180-42a0-ab88-20f7382dd24c', // Contributor
  '17d1049b-9a84-46fb-8f53-869881c3d3ab', // Storage Account Contributor
  ROLE.blobReader,
  ROLE.blobContributor,
  'b7e6dc6d-f1e8-4753-8033-0f276bb0955b', // Storage Blob Data Owner
  '00482a5a-887f-4fb3-b363-3b7fe8e74483', // Key Vault Administrator
  ROLE.kvSecretsUser,
  'b86a8fe4-44ce-4948-aee5-eccb2c155cd7', // Key Vault Secrets Officer
];
// alice's Storage Blob Data Reader on rg-weights is the approved grant of the first test.
const PAIRS = PRINCIPALS.flatMap((principalId) => ROLES.map((roleGuid) => ({ principalId, roleGuid }))).filter((p) => !(p.principalId === PEOPLE.alice && p.roleGuid === ROLE.blobReader));

/** `count` rogue assignments by dave on `scope`, made `concurrency` at a time. */
async function rogues(scope: string, pairs: typeof PAIRS, concurrency = 8): Promise<RogueAssignment[]> {
  const out: RogueAssignment[] = [];
  for (let i = 0; i < pairs.length; i += concurrency) {
    out.push(...(await Promise.all(pairs.slice(i, i + concurrency).map((p) => assignOutOfBand(stack, { scope, ...p })))));
  }
  return out;
}

/** Decisions recorded per assignment id (lower-cased) and action. */
function decisionCounts(records: AuditRecord[]): Map<string, Record<string, number>> {
  const byAssignment = new Map<string, Record<string, number>>();
  for (const r of records) {
    if (!r.assignmentId || !r.action.startsWith('assignment.')) continue;
    const key = scopeKey(r.assignmentId);
    const counts = byAssignment.get(key) ?? {};
    counts[r.action] = (counts[r.action] ?? 0) + 1;
    byAssignment.set(key, counts);
  }
  return byAssignment;
}

async function allDecisions(): Promise<Map<string, Record<string, number>>> {
  return decisionCounts(await auditRecords(stack, {}));
}

/** No assignment has more than one record of any decision, and no grant ended twice. */
async function expectNothingRecordedTwice(): Promise<void> {
  const records = await auditRecords(stack, {});
  for (const [id, counts] of decisionCounts(records)) {
    for (const [action, n] of Object.entries(counts)) expect({ id, action, n }).toEqual({ id, action, n: 1 });
  }
  const endings = new Map<string, number>();
  for (const r of records) if (r.action.startsWith('grant.') && r.action !== 'grant.created' && r.grantId) endings.set(r.grantId, (endings.get(r.grantId) ?? 0) + 1);
  for (const [grantId, n] of endings) expect({ grantId, n }).toEqual({ grantId, n: 1 });
}

describe('every event three times, out of order and late', () => {
  it('ends in the same state with exactly one record per decision', async () => {
    // Grants whose events (our own writes, and dave's delete of one of them) go through the same storm.
    const kept = await approvedGrant(stack, { scope: RG.weights, role: 'Storage Blob Data Reader', duration: 'PT8H' });
    const deletedByDave = await approvedGrant(stack, { scope: RG.research, role: 'Key Vault Secrets User', duration: 'PT4H', approvers: [USER.erin] });
    await settle(stack);

    Object.assign(stack.sim.knobs, { duplicateRate: 1, reorder: true, reorderWindowMs: 60, eventDelayMs: 150, seed: 41 });
    const rogue = await rogues(RG.weights, PAIRS.slice(0, 12));
    const exempt = await assignOutOfBand(stack, { scope: RG.weights, roleGuid: ROLE.reader, principalId: PEOPLE.breakglass });
    const audited = await assignOutOfBand(stack, { scope: RG.sandbox, roleGuid: ROLE.blobReader, principalId: PEOPLE.mallory });
    expect((await deleteOutOfBand(stack, deletedByDave.assignmentId)).status).toBe(200);
    await settle(stack);

    // The third copy of every event, delivered by hand long after the others, newest first.
    const touched = [...rogue.map((r) => r.id), exempt.id, audited.id, kept.assignmentId, deletedByDave.assignmentId];
    const events = touched.flatMap((id) => capturedEvents(stack, id)).reverse();
    expect(events.length).toBeGreaterThanOrEqual(touched.length + rogue.length);
    const before = await auditRecords(stack, {});
    for (const event of events) expect((await deliver(stack, [event])).status).toBe(200);
    await settle(stack);
    expect(await auditRecords(stack, {})).toHaveLength(before.length);

    // Every original was delivered twice by the simulator, and once more by hand.
    const copies = stack.sim.events.recent().filter((d) => rogue.some((r) => scopeKey(r.id) === scopeKey(d.subject)) && d.eventType.endsWith('WriteSuccess'));
    expect(copies.filter((d) => d.outcome === 'delivered')).toHaveLength(rogue.length * 2);

    // The end state.
    for (const r of rogue) expect(exists(stack, r.id)).toBe(false);
    expect(exists(stack, exempt.id)).toBe(true);
    expect(exists(stack, audited.id)).toBe(true);
    expect(exists(stack, kept.assignmentId)).toBe(true);
    expect(exists(stack, deletedByDave.assignmentId)).toBe(false);

    // One record per decision.
    const decisions = await allDecisions();
    for (const r of rogue) expect(decisions.get(scopeKey(r.id))).toEqual({ 'assignment.revoked': 1 });
    expect(decisions.get(scopeKey(exempt.id))).toEqual({ 'assignment.exempt': 1 });
    expect(decisions.get(scopeKey(audited.id))).toEqual({ 'assignment.wouldRevoke': 1 });
    expect(decisions.get(scopeKey(kept.assignmentId))).toBeUndefined();
    const endedExternally = (await auditRecords(stack, { grantId: deletedByDave.grantId })).filter((r) => r.action === 'grant.endedExternally');
    expect(endedExternally).toHaveLength(1);
    await expectNothingRecordedTwice();
  });
});

describe('a tenth of the events lost', () => {
  it('one reconcile run removes every violation the events missed, and records nothing twice', async () => {
    Object.assign(stack.sim.knobs, { dropRate: 0.1, seed: 7 });
    const rogue = await rogues(RG.research, PAIRS.slice(0, 50));
    await settle(stack);

    const dropped = new Set(stack.sim.events.recent().filter((d) => d.outcome === 'dropped' && d.eventType.endsWith('WriteSuccess')).map((d) => scopeKey(d.subject)));
    const missed = rogue.filter((r) => dropped.has(scopeKey(r.id)));
    // Seeded, so the loss is the same every run; make sure it actually happened.
    expect(missed.length).toBeGreaterThanOrEqual(2);
    for (const r of rogue) expect({ id: r.id, exists: exists(stack, r.id) }).toEqual({ id: r.id, exists: dropped.has(scopeKey(r.id)) });

    stack.sim.knobs.dropRate = 0;
    const res = await fetch(`${stack.url}/admin/functions/reconcile`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ input: '' }) });
    expect(res.status).toBe(202);
    await until(() => rogue.every((r) => !exists(stack, r.id)), 'reconcile to remove every missed violation', 20_000, 20);
    await settle(stack);

    const decisions = await allDecisions();
    for (const r of rogue) expect(decisions.get(scopeKey(r.id))).toEqual({ 'assignment.revoked': 1 });
    const viaReconcile = (await auditRecords(stack, { scope: RG.research, action: 'assignment.revoked' })).filter((r) => (r.details as { via?: string } | undefined)?.via === 'reconcile');
    expect(viaReconcile.map((r) => scopeKey(r.assignmentId!)).sort()).toEqual(missed.map((r) => scopeKey(r.id)).sort());
    await expectNothingRecordedTwice();
  });
});

describe('reconcile while events arrive', () => {
  it('a reconcile run racing late deliveries still records each decision once, and ends a grant whose delete event was lost', async () => {
    const grant = await approvedGrant(stack, { scope: RG.sandbox, role: 'Storage Blob Data Contributor', duration: 'PT1H', approvers: [USER.bob] });
    await settle(stack);
    // dave's delete of the granted assignment: its event is lost.
    stack.sim.knobs.dropRate = 1;
    expect((await deleteOutOfBand(stack, grant.assignmentId)).status).toBe(200);
    stack.sim.knobs.dropRate = 0;

    Object.assign(stack.sim.knobs, { eventDelayMs: 200, seed: 3 });
    const rogue = await rogues(RG.weights, PAIRS.slice(42, 54));
    // Reconcile now, while every one of those events is still on its way.
    await stack.host.runTimer('reconcile');
    await until(() => rogue.every((r) => !exists(stack, r.id)), 'every rogue assignment to be removed');
    await settle(stack);

    const decisions = await allDecisions();
    for (const r of rogue) expect(decisions.get(scopeKey(r.id))).toEqual({ 'assignment.revoked': 1 });
    const ended = (await auditRecords(stack, { grantId: grant.grantId })).filter((r) => r.action === 'grant.endedExternally');
    expect(ended).toHaveLength(1);
    expect(ended[0]!.actor.name).toMatch(/reconcile/);
    await expectNothingRecordedTwice();
  });
});

describe('reconcile: a grant is tied to its assignment, not to its triple', () => {
  it('ends a grant whose assignment was deleted and re-created out of band, and revokes the re-creation', async () => {
    const grant = await approvedGrant(stack, { scope: RG.weights, role: 'Storage Blob Data Reader', duration: 'PT1H' });
    await settle(stack);
    // dave deletes the granted assignment and re-creates the same access under another name; both events are lost.
    stack.sim.knobs.dropRate = 1;
    expect((await deleteOutOfBand(stack, grant.assignmentId)).status).toBe(200);
    const recreated = await assignOutOfBand(stack, { scope: RG.weights, roleGuid: '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1', principalId: PEOPLE.alice });
    stack.sim.knobs.dropRate = 0;

    await stack.host.runTimer('reconcile');
    await settle(stack);
    expect(exists(stack, recreated.id)).toBe(false);
    const ended = (await auditRecords(stack, { grantId: grant.grantId })).filter((r) => r.action === 'grant.endedExternally');
    expect(ended).toHaveLength(1);
    const decisions = await allDecisions();
    expect(decisions.get(scopeKey(recreated.id))).toEqual({ 'assignment.revoked': 1 });
    await expectNothingRecordedTwice();
  });
});

describe('ARM failing 30% of calls with 429, 500 or 503', () => {
  it('removes every violation through redelivery and records each once', async () => {
    Object.assign(stack.sim.knobs, { armFailureRate: 0.3, armFailureStatus: 'mixed', retryAfterSeconds: 0, seed: 99 });
    const failuresBefore = stack.sim.state.stats.armInjectedFailures;
    const rogue = await rogues(RG.weights, PAIRS.slice(12, 42));
    await until(() => rogue.every((r) => !exists(stack, r.id)), 'every rogue assignment to be removed', 40_000, 20);
    await settle(stack);
    expect(stack.sim.state.stats.armInjectedFailures - failuresBefore).toBeGreaterThan(10);

    const decisions = await allDecisions();
    for (const r of rogue) expect(decisions.get(scopeKey(r.id))).toEqual({ 'assignment.revoked': 1 });
    await expectNothingRecordedTwice();
  });

  it('when ARM refuses everything for a while (beyond the SDK retries) the webhook answers 5xx and Event Grid redelivery finishes the job', async () => {
    Object.assign(stack.sim.knobs, { eventDelayMs: 50 });
    const rogue = await rogues(RG.weights, PAIRS.slice(54, 59));
    Object.assign(stack.sim.knobs, { armFailureRate: 1, armFailureStatus: 429, retryAfterSeconds: 0 });
    await until(() => stack.sim.events.recent().some((d) => rogue.some((r) => scopeKey(r.id) === scopeKey(d.subject)) && d.attempts >= 2), 'a redelivery', 10_000);
    stack.sim.knobs.armFailureRate = 0;
    await until(() => rogue.every((r) => !exists(stack, r.id)), 'every rogue assignment to be removed', 20_000, 20);
    await settle(stack);

    const deliveries = stack.sim.events.recent().filter((d) => rogue.some((r) => scopeKey(r.id) === scopeKey(d.subject)) && d.eventType.endsWith('WriteSuccess'));
    expect(deliveries.every((d) => d.outcome === 'delivered')).toBe(true);
    expect(deliveries.some((d) => d.attempts >= 2)).toBe(true);
    const decisions = await allDecisions();
    for (const r of rogue) expect(decisions.get(scopeKey(r.id))).toEqual({ 'assignment.revoked': 1 });
    await expectNothingRecordedTwice();
  });
});
