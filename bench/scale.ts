/**
 * `BENCH_ONLY=scale npm run bench` (issue 14): a management group of many subscriptions, ARM's
 * real token buckets (reads 250 + 25/s, writes and deletes 200 + 10/s, per subscription and
 * caller) in the simulator, and the local stack in this process (embedded Cosmos, simulated
 * Azure, one app instance).
 *
 * - reconcile: BENCH_SCALE_SUBSCRIPTIONS (10) x BENCH_SCALE_ASSIGNMENTS (1,000) role assignments,
 *   each backed by a coverage document (an approved grant's): one full reconcile; time, ARM reads,
 *   429s met, peak RSS of the whole process (app, simulator and store together). The 50 x
 *   4,000 is projected from it (`projected: true`, with the measured size).
 * - rogueBurst: BENCH_SCALE_ROGUE (1,000) rogue assignments across 10 subscriptions, created as
 *   fast as dave can, each revoked through its Event Grid event; time from the first creation to
 *   the last revocation, beside the floor: the delete buckets' (200 at once, then 10/s per
 *   subscription) or the irreducible I/O made directly with the SDKs (1 ARM read, 1 store read,
 *   1 audit append, 1 ARM delete each, at the webhook's concurrency), whichever is longer.
 * - expiry: bench/requests' expiry run for BENCH_SCALE_GRANTS (2,000) grants: store operations per grant.
 * - instances: two app instances on the same store and simulated Azure (dev/instances.ts), events
 *   spread across them and every third delivered to both: events per second and the checks.
 */
import { AuthorizationManagementClient } from '@azure/arm-authorization';
import { Agent } from 'undici';
import { randomUUID } from 'node:crypto';
import { mkdtemp, cp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { startLocalStack, type LocalStack } from '../dev/localStack';
import { ARM_LIMITS, simCredential, type Simulator } from '../dev/sim';
import { MANAGEMENT_GROUP, PEOPLE } from '../dev/tenant';
import { spreadDeliveries, startExtraInstance } from '../dev/instances';
import { createDoc } from '../shared/adapters/cosmos/document';
import { roleAssignmentId, roleDefinitionId } from '../shared/domain/armIds';
import { mapLimited } from '../shared/domain/concurrency';
import { coverageKey, type Coverage } from '../shared/domain/grants/grant';
import { findBuiltInRole } from '../shared/domain/roles';
import { RecordingNotifier } from '../shared/adapters/recordingNotifier';
import type { ArmPacer } from '../shared/adapters/arm/armPacer';
import { addUsers, envCount } from './common';
import { reconcile } from '../shared/usecases/enforcement';
import { benchExpiry } from './requests';

type Json = Record<string, unknown>;

/** The tenant: 50 subscriptions of 4,000 assignments, 1,000 rogue across 10. */
const TARGET = { subscriptions: 50, perSubscription: 4000 };
const READER = findBuiltInRole('Reader')!;
const ROGUE_ROLE = findBuiltInRole('Storage Blob Data Reader')!;
/** ARM pages of role assignment listings (the simulator's maximum; ARM's own is not documented). */
const PAGE_SIZE = 1000;
const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

function subscriptionIds(count: number, tag: number): string[] {
  return Array.from({ length: count }, (_, i) => `00000000-0000-4000-a${String(tag).padStart(3, '0')}-${String(i + 1).padStart(12, '0')}`);
}

/** A policy over the whole management group; dave (who makes the rogue assignments) is its standing exemption. */
async function policiesDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'am-scale-policies-'));
  await cp(join(__dirname, '..', '..', 'policies'), dir, { recursive: true });
  await writeFile(
    join(dir, 'lab.yaml'),
    [
      'id: lab',
      'description: Every subscription of the research management group (scale benchmark).',
      `scope: ${MANAGEMENT_GROUP.scope}`,
      'mode: enforce',
      'kind: rigid',
      'roles:',
      '  - role: Reader',
      '    maxDuration: PT8H',
      '    approvals: 1',
      '    approvers: { groups: [00000000-0000-4000-8000-000000000021] }',
      'exemptions:',
      '  principals:',
      `    - { id: ${PEOPLE.dave}, reason: platform owner of every subscription }`,
      'breaker: { maxRevocations: 5000, window: PT5M }',
      '',
    ].join('\n'),
  );
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Subscriptions under mg-research, each with AccessManager's role and dave as owner (seeded before the app reads the tree). */
function addSubscriptions(sim: Simulator, ids: readonly string[]): void {
  // As deployed: AccessManager holds its role wherever a policy governs (here the management group).
  sim.state.seedAssignment({ scope: MANAGEMENT_GROUP.scope, role: 'User Access Administrator', principalId: PEOPLE.accessManager, principalType: 'ServicePrincipal', createdOn: '2026-01-05T09:00:00Z' });
  for (const id of ids) {
    sim.state.addSubscription(id, MANAGEMENT_GROUP.name);
    const scope = `/subscriptions/${id}`;
    sim.state.seedAssignment({ scope, role: 'User Access Administrator', principalId: PEOPLE.accessManager, principalType: 'ServicePrincipal', createdOn: '2026-01-05T09:00:00Z' });
    sim.state.seedAssignment({ scope, role: 'Owner', principalId: PEOPLE.dave, createdOn: '2026-01-05T09:00:00Z' });
  }
}

function rssSampler(): { stop(): number } {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
  return {
    stop() {
      clearInterval(timer);
      return round(Math.max(peak, process.memoryUsage().rss) / 1024 / 1024, 0);
    },
  };
}

async function benchReconcile(stack: LocalStack, subs: readonly string[], perSub: number, log: (line: string) => void): Promise<Json> {
  // Standing, approved access: an assignment and its coverage document each (what an approved grant leaves).
  const seedStarted = performance.now();
  const rssBeforeSeedMb = process.memoryUsage().rss / 1024 / 1024;
  const items = subs.flatMap((sub) => Array.from({ length: perSub }, () => ({ sub, principalId: randomUUID() })));
  await mapLimited(items, 32, async ({ sub, principalId }) => {
    const scope = `/subscriptions/${sub}/resourceGroups/rg-main`;
    const a = stack.sim.state.seedAssignment({ scope, role: READER.guid, principalId, principalType: 'User', createdOn: '2026-01-05T09:00:00Z' });
    const coverage: Coverage = {
      id: coverageKey(principalId, READER.guid, scope),
      type: 'coverage',
      principalId,
      roleDefinitionGuid: READER.guid,
      scope,
      assignmentId: a.id,
      entries: [{ grantId: randomUUID(), expiresAt: '2099-01-01T00:00:00.000Z' }],
    };
    await createDoc(stack.containers.coverage, coverage);
  });
  log(`(scale) seeded ${items.length} assignments with coverage in ${Math.round(performance.now() - seedStarted)} ms`);

  const pacer = stack.deps.pacing as ArmPacer;
  const armBefore = stack.sim.state.stats.armRequests;
  const throttledBefore = stack.sim.state.stats.armThrottled;
  const pacerBefore = { ...pacer.stats, sent: JSON.parse(JSON.stringify(pacer.stats.sent)) as typeof pacer.stats.sent };
  const rss = rssSampler();
  const started = performance.now();
  const report = await reconcile(stack.deps);
  const seconds = (performance.now() - started) / 1000;
  const peakRssMb = rss.stop();
  const armCalls = stack.sim.state.stats.armRequests - armBefore;
  const armReads = pacer.stats.sent.background.reads + pacer.stats.sent.urgent.reads - pacerBefore.sent.background.reads - pacerBefore.sent.urgent.reads;
  const throttled = stack.sim.state.stats.armThrottled - throttledBefore;
  log(`(scale) reconcile of ${items.length}: ${round(seconds, 2)} s, ${armReads} ARM reads (${armCalls} calls), ${throttled} 429s, peak RSS ${peakRssMb} MB; ${JSON.stringify(report)}`);

  // Projection to the size: the per-assignment cost measured here (a store read and the
  // judging, 8 at a time) times 200,000, or the read buckets' floor if longer; ARM reads per listed
  // subscription as measured, with the pages of 4,000 assignments instead (pages of 1,000; each
  // subscription has its own bucket); memory as measured plus what each further assignment added
  // (the simulator and the embedded store live in this process too: an upper bound for the app).
  const measured = items.length;
  const target = TARGET.subscriptions * TARGET.perSubscription;
  const readsPerScope = armReads / report.scopes.length;
  const projectedReadsPerSub = readsPerScope - Math.ceil(perSub / PAGE_SIZE) + Math.ceil(TARGET.perSubscription / PAGE_SIZE);
  const throttleFloorSeconds = Math.max(0, (projectedReadsPerSub - ARM_LIMITS.reads.burst) / ARM_LIMITS.reads.perSecond);
  const mbPerAssignment = Math.max(0, peakRssMb - rssBeforeSeedMb) / measured;
  return {
    assignments: target,
    seconds: round(Math.max((seconds * target) / measured, throttleFloorSeconds), 1),
    armReads: Math.round(projectedReadsPerSub * TARGET.subscriptions),
    throttled,
    peakRssMb: round(peakRssMb + mbPerAssignment * (target - measured), 0),
    projected: true,
    measured: { subscriptions: subs.length, assignments: measured, seconds: round(seconds, 2), armReads, listedScopes: report.scopes.length, armCalls, throttled, peakRssMb, rssBeforeSeedMb: round(rssBeforeSeedMb, 0), pageSize: PAGE_SIZE, assignmentsPerSecond: round(measured / seconds, 0) },
    judged: { allowed: report.allowed, exempt: report.exempt, revoked: report.revoked, failures: report.failures },
    fitsReconcilePeriod: (seconds * target) / measured < 15 * 60,
  };
}

/** dave's out-of-band assignment in a subscription's rg-main; his own write bucket's 429s are waited out. */
async function putRogue(stack: LocalStack, dispatcher: Agent, sub: string, principalId: string, events: boolean): Promise<string> {
  const scope = `/subscriptions/${sub}/resourceGroups/rg-main`;
  const id = roleAssignmentId(scope, randomUUID());
  for (;;) {
    const res = await fetch(`${stack.sim.url}${id}?api-version=2022-04-01`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', 'x-sim-caller': PEOPLE.dave, ...(events ? {} : { 'x-sim-events': 'off' }) },
      body: JSON.stringify({ properties: { roleDefinitionId: roleDefinitionId(sub, ROGUE_ROLE.guid), principalId } }),
      dispatcher,
    } as RequestInit);
    const body = await res.arrayBuffer();
    if (res.status === 201 || res.status === 200) return id;
    if (res.status !== 429) throw new Error(`PUT ${id} answered ${res.status}: ${Buffer.from(body).toString('utf8').slice(0, 300)}`);
    await new Promise((resolve) => setTimeout(resolve, Number(res.headers.get('retry-after') ?? '1') * 1000));
  }
}

async function benchRogueBurst(stack: LocalStack, subs: readonly string[], total: number, log: (line: string) => void): Promise<Json> {
  const perSub = Math.ceil(total / subs.length);
  const people = addUsers(stack, perSub * 2, 'rogue').map((u) => u.id);
  const targets = subs.flatMap((sub) => people.slice(0, perSub).map((principalId) => ({ sub, principalId })));
  const dispatcher = new Agent({ connect: { ca: stack.ca } });
  const put = (t: { sub: string; principalId: string }, events: boolean) => putRogue(stack, dispatcher, t.sub, t.principalId, events);

  const started = performance.now();
  const ids = await mapLimited(targets, 32, (t) => put(t, true));
  const createdSeconds = (performance.now() - started) / 1000;
  while (ids.some((id) => stack.sim.state.assignments.has(id))) await new Promise((resolve) => setTimeout(resolve, 10));
  const seconds = (performance.now() - started) / 1000;
  await stack.sim.events.idle();
  const revoked = ids.filter((id) => !stack.sim.state.assignments.has(id)).length;
  log(`(scale) rogue burst: ${revoked}/${ids.length} revoked, last ${round(seconds, 2)} s after the first creation (creating them took ${round(createdSeconds, 2)} s)`);

  // The floor: the same I/O made directly with the SDKs, at the webhook's concurrency, on as many
  // assignments created quietly (no events); and what the delete buckets alone impose.
  const quiet = await mapLimited(
    subs.flatMap((sub) => people.slice(perSub).map((principalId) => ({ sub, principalId }))),
    32,
    (t) => put(t, false),
  );
  const arm = new AuthorizationManagementClient(simCredential(PEOPLE.accessManager), subs[0]!, { endpoint: stack.sim.url, tlsOptions: { ca: stack.ca } });
  const floorStarted = performance.now();
  await mapLimited(quiet, stack.sim.knobs.deliveryConcurrency, async (id) => {
    const live = await arm.roleAssignments.getById(id);
    await stack.containers.coverage.item(coverageKey(live.principalId!, ROGUE_ROLE.guid, live.scope!), coverageKey(live.principalId!, ROGUE_ROLE.guid, live.scope!)).read();
    await stack.containers.state.items.create({ id: `scale-floor-${randomUUID()}`, type: 'benchFloor', assignmentId: id, at: new Date().toISOString() });
    await arm.roleAssignments.deleteById(id);
  });
  const ioFloorSeconds = (performance.now() - floorStarted) / 1000;
  await dispatcher.close();
  const bucketFloorSeconds = Math.max(0, (perSub - ARM_LIMITS.deletes.burst) / ARM_LIMITS.deletes.perSecond);
  return {
    revoked,
    seconds: round(seconds, 2),
    floorSeconds: round(Math.max(ioFloorSeconds, bucketFloorSeconds), 2),
    createSeconds: round(createdSeconds, 2),
    ioFloorSeconds: round(ioFloorSeconds, 2),
    bucketFloorSeconds,
    subscriptions: subs.length,
    throttled: stack.sim.state.stats.armThrottled,
  };
}

/**
 * Two instances on one store and one simulated Azure: BENCH_SCALE_INSTANCE_EVENTS rogue assignments
 * (500) whose events are spread across both, every third also delivered to the other; both run
 * reconcile at the same moment afterwards. Events per second from the first creation to the last
 * revocation, and the checks: one record per revocation, nothing left, the ledger verifies.
 */
async function benchInstances(stack: LocalStack, subs: readonly string[], total: number, log: (line: string) => void): Promise<Json> {
  const second = await startExtraInstance(stack, 'scale-second');
  const spread = await spreadDeliveries([stack.url, second.host.url]);
  stack.sim.events.setWebhook(spread.webhook);
  try {
    const people = addUsers(stack, total, 'instances');
    const dispatcher = new Agent({ connect: { ca: stack.ca } });
    const started = performance.now();
    // Spread over the subscriptions so each stays inside its buckets, as the rogue burst does.
    const ids = await mapLimited(people, 32, (person, i) => putRogue(stack, dispatcher, subs[i % subs.length]!, person.id, true));
    while (ids.some((id) => stack.sim.state.assignments.has(id))) await new Promise((resolve) => setTimeout(resolve, 10));
    const seconds = (performance.now() - started) / 1000;
    await dispatcher.close();
    await Promise.all([reconcile(stack.deps), reconcile(second.app.deps)]);
    await stack.sim.events.idle();
    const records = new Map<string, number>();
    for (const id of ids) records.set(id.toLowerCase(), 0);
    let token: string | undefined;
    do {
      const page = await stack.deps.audit.query({ action: 'assignment.revoked', limit: 500, ...(token ? { continuationToken: token } : {}) });
      for (const r of page.items) {
        const key = r.assignmentId?.toLowerCase();
        if (key && records.has(key)) records.set(key, (records.get(key) ?? 0) + 1);
      }
      token = page.continuationToken;
    } while (token);
    const verify = await second.app.deps.audit.verify();
    const counts = [...records.values()];
    const result = {
      instances: 2,
      rogueAssignments: ids.length,
      // Each rogue assignment raises two events: its creation and AccessManager's own delete.
      events: spread.counts.perInstance.reduce((a, b) => a + b, 0),
      eventsPerSecond: round(spread.counts.perInstance.reduce((a, b) => a + b, 0) / seconds, 0),
      seconds: round(seconds, 2),
      deliveriesPerInstance: spread.counts.perInstance,
      duplicateDeliveries: spread.counts.duplicates,
      checks: {
        oneRecordPerRevocation: counts.every((c) => c === 1),
        recordsMissing: counts.filter((c) => c === 0).length,
        recordsDuplicated: counts.filter((c) => c > 1).length,
        nothingLeft: ids.every((id) => !stack.sim.state.assignments.has(id)),
        ledgerVerifies: verify.ok,
      },
    };
    log(`(scale) two instances: ${JSON.stringify(result)}`);
    return result;
  } finally {
    await spread.stop();
    await second.stop();
  }
}

export async function benchScale(log: (line: string) => void = () => undefined): Promise<Json> {
  const subCount = envCount('BENCH_SCALE_SUBSCRIPTIONS', 10);
  const perSub = envCount('BENCH_SCALE_ASSIGNMENTS', 1000);
  const rogue = envCount('BENCH_SCALE_ROGUE', 1000);
  const grants = envCount('BENCH_SCALE_GRANTS', 2000);
  const reconcileSubs = subscriptionIds(subCount, 1);
  const rogueSubs = subscriptionIds(10, 2);
  const policies = await policiesDir();
  let stack: LocalStack | undefined;
  const out: Json = {};
  try {
    stack = await startLocalStack({
      port: 0,
      simPort: 0,
      cosmosPort: 0,
      policiesDir: policies.dir,
      notifier: new RecordingNotifier(),
      settings: { GOVERNED_MANAGEMENT_GROUP: MANAGEMENT_GROUP.name },
      knobs: { armThrottle: { ...ARM_LIMITS }, pageSize: PAGE_SIZE },
      prepareTenant: (sim) => addSubscriptions(sim, [...reconcileSubs, ...rogueSubs]),
    });
    out.reconcile = await benchReconcile(stack, reconcileSubs, perSub, log);
    out.rogueBurst = await benchRogueBurst(stack, rogueSubs, rogue, log);
    out.instances = await benchInstances(stack, rogueSubs, envCount('BENCH_SCALE_INSTANCE_EVENTS', 500), log);
  } finally {
    await stack?.stop();
    await policies.cleanup();
  }
  const expiry = await benchExpiry(grants, 'teams', log);
  const runMs = expiry['expiry.runMs'] ?? 0;
  out.expiry = {
    storeOpsPerGrant: expiry['expiry.perGrant.storeOps'],
    grants,
    seconds: round(runMs / 1000, 1),
    projected10000Seconds: round((runMs / 1000) * (10_000 / grants), 0),
  };
  return out;
}
