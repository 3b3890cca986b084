/**
 * Benchmarks of the request path and of expiry against a local stack on ephemeral ports:
 *  (a) requests created and approved per second over HTTP (create + 2 approvals each, a few in flight);
 *  (b) store operations and Azure calls of one approval below the threshold and of the approval that grants
 *      (and of the enforcer's handling of the grant's own write event);
 *  (c) wall time of the expireGrants run for N grants expiring at once, with the time split by dependency.
 * `node dist/bench/requests.js` prints the figures as one JSON line (BENCH_REQUESTS, BENCH_GRANTS, BENCH_CONCURRENCY, BENCH_NOTIFIER).
 */
import { mapLimited } from '../shared/domain/concurrency';
import { envCount, addUsers, type BenchUser } from './common';
import { randomUUID } from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import type { RoleAssignments } from '../shared/ports/roleAssignments';
import { armCalls, instrumentation, storeOps } from './instrument';
import type { Deps } from '../shared/ports/deps';
import { roleDefinitionId } from '../shared/domain/armIds';
import { ManualClock } from '../shared/domain/clock';
import { ConfigError } from '../shared/domain/errors';
import { RecordingNotifier } from '../shared/adapters/recordingNotifier';
import { coverageKey, grantIdFor, type Coverage, type Grant } from '../shared/domain/grants/grant';
import type { GrantRepository } from '../shared/ports/grants';
import { runExpiry } from '../shared/usecases/expiry';
import { principalHeaders } from '../shared/domain/caller';
import { findBuiltInRole } from '../shared/domain/roles';
import { createDoc } from '../shared/adapters/cosmos/document';
import { diffStoreOps, type StoreOpCounts, type StoreOpsSnapshot } from './storeOps';
import { LOCAL_SUBSCRIPTION_ID, PEOPLE, RG } from '../dev/tenant';
import { startLocalStack, type LocalStack } from '../dev/localStack';
import { installationActivity, SIM_BOT_APP_ID } from '../dev/sim/teams/install';

export interface BenchRequestsOptions {
  /** Requests of the throughput runs (each run; the phased run uses as many again). Default BENCH_REQUESTS or 200. */
  requests?: number;
  /** Grants expiring at once in the expiry run. Default BENCH_GRANTS or 10,000. */
  grants?: number;
  /** HTTP calls in flight in the throughput runs. Default BENCH_CONCURRENCY or 8. */
  concurrency?: number;
  /**
   * `teams` (default): the stack as shipped, cards and messages going to the simulated Teams;
   * `recording`: notifications only recorded in memory, to see the core path without Teams.
   * Default BENCH_NOTIFIER or `teams`.
   */
  notifier?: 'teams' | 'recording';
  /** Progress lines (default: none). */
  log?: (line: string) => void;
}

type Figures = Record<string, number>;

const ROLE_NAME = 'Storage Blob Data Reader';
const SCOPE = RG.weights;
const APPROVERS = {
  bob: { id: PEOPLE.bob, name: 'bob@contoso.test' },
  carol: { id: PEOPLE.carol, name: 'carol@contoso.test' },
};
/** Holds back the grant's write event while the final approval is measured, so its handling is counted apart. */
const EVENT_HOLD_MS = 1_000;
const SEED_CONCURRENCY = 16;


/** CPU time of this process (user + system), in ms: robust to other processes sharing the machine, unlike wall time. */
const cpuMs = () => {
  const used = process.cpuUsage();
  return (used.user + used.system) / 1000;
};

const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;
const perSecond = (count: number, ms: number) => round((count * 1000) / ms);

function percentile(samples: number[], p: number): number {
  if (samples.length === 0) return 0;
  const sorted = [...samples].sort((a, b) => a - b);
  return round(sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!);
}




/**
 * Installs the Teams app for these people as Teams does for everyone (an installationUpdate to
 * the bot), so the notifications of the measured paths are delivered rather than skipped.
 */
async function installTeams(stack: LocalStack, users: readonly BenchUser[]): Promise<void> {
  const state = stack.sim.state;
  await mapLimited(users, SEED_CONCURRENCY, async (user) => {
    state.teams.personalConversation(state.teamsMemberOf(user.id), state.tenantId);
    const res = await fetch(`${stack.url}/api/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(installationActivity(state, user.id, stack.sim.teams.serviceUrl, SIM_BOT_APP_ID)),
    });
    await res.arrayBuffer();
    if (res.status >= 300) throw new Error(`installing the Teams app for ${user.name} answered ${res.status}`);
  });
}

async function addResearchers(stack: LocalStack, count: number, tag: string): Promise<BenchUser[]> {
  const users = addUsers(stack, count, tag);
  if (!(stack.deps.notifier instanceof RecordingNotifier)) await installTeams(stack, users);
  return users;
}

async function call(stack: LocalStack, user: BenchUser, path: string, body: unknown, expected: number): Promise<{ id: string; status: string; grantId?: string }> {
  const res = await fetch(`${stack.url}${path}`, {
    method: 'POST',
    headers: { ...principalHeaders(user), 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status !== expected) throw new Error(`POST ${path} as ${user.name} answered ${res.status} (expected ${expected}): ${text.slice(0, 300)}`);
  return JSON.parse(text) as { id: string; status: string; grantId?: string };
}

const createAs = (stack: LocalStack, user: BenchUser) =>
  call(stack, user, '/api/requests', { scope: SCOPE, role: ROLE_NAME, duration: 'PT8H', justification: 'benchmark: evaluate a checkpoint' }, 201);

async function approveAs(stack: LocalStack, approver: BenchUser, requestId: string, expectStatus: 'pending' | 'approved') {
  const answer = await call(stack, approver, `/api/requests/${requestId}/approve`, { comment: 'bench' }, 200);
  if (answer.status !== expectStatus) throw new Error(`request ${requestId} is ${answer.status} after ${approver.name}'s approval (expected ${expectStatus})`);
  return answer;
}

/** (a) Throughput: a pipelined run (each request created then approved twice) and a phased one (all creates, all first approvals, all final approvals). */
async function benchThroughput(stack: LocalStack, requests: number, concurrency: number, log: (line: string) => void): Promise<Figures> {
  const latency = { create: [] as number[], approve: [] as number[], grantingApprove: [] as number[] };
  const timedCall = async <T>(samples: number[], work: () => Promise<T>): Promise<T> => {
    const start = performance.now();
    const result = await work();
    samples.push(performance.now() - start);
    return result;
  };

  // Warm-up, not counted: JIT, connections, audit chains and the first Teams conversations.
  const warmUp = await addResearchers(stack, Math.min(16, requests), 'w');
  await mapLimited(warmUp, concurrency, async (user) => {
    const request = await createAs(stack, user);
    await approveAs(stack, APPROVERS.bob, request.id, 'pending');
    await approveAs(stack, APPROVERS.carol, request.id, 'approved');
  });
  await stack.sim.events.idle();

  const pipelinedUsers = await addResearchers(stack, requests, 'p');
  const pipelinedStart = performance.now();
  const pipelinedCpuStart = cpuMs();
  const pipelinedOpsStart = storeOps.snapshot();
  await mapLimited(pipelinedUsers, concurrency, async (user) => {
    const request = await timedCall(latency.create, () => createAs(stack, user));
    await timedCall(latency.approve, () => approveAs(stack, APPROVERS.bob, request.id, 'pending'));
    await timedCall(latency.grantingApprove, () => approveAs(stack, APPROVERS.carol, request.id, 'approved'));
  });
  const pipelinedMs = performance.now() - pipelinedStart;
  const pipelinedCpuMs = cpuMs() - pipelinedCpuStart;
  const drainStart = performance.now();
  await stack.sim.events.idle();
  const drainMs = performance.now() - drainStart;
  const pipelinedOps = diffStoreOps(pipelinedOpsStart, storeOps.snapshot()).total;
  log(`(a) pipelined: ${requests} requests in ${Math.round(pipelinedMs)} ms`);

  const phasedUsers = await addResearchers(stack, requests, 'f');
  const ids: string[] = new Array<string>(requests);
  const phase = async (work: (user: BenchUser, index: number) => Promise<void>) => {
    const start = performance.now();
    await mapLimited(phasedUsers, concurrency, work);
    return performance.now() - start;
  };
  const createMs = await phase(async (user, i) => {
    ids[i] = (await createAs(stack, user)).id;
  });
  const firstApprovalMs = await phase(async (_user, i) => {
    await approveAs(stack, APPROVERS.bob, ids[i]!, 'pending');
  });
  const grantingApprovalMs = await phase(async (_user, i) => {
    await approveAs(stack, APPROVERS.carol, ids[i]!, 'approved');
  });
  await stack.sim.events.idle();
  log(`(a) phased: creates ${Math.round(createMs)} ms, first approvals ${Math.round(firstApprovalMs)} ms, granting approvals ${Math.round(grantingApprovalMs)} ms`);

  return {
    'throughput.requests': requests,
    'throughput.concurrency': concurrency,
    'throughput.endToEnd.requestsPerSecond': perSecond(requests, pipelinedMs),
    'throughput.endToEnd.wallMs': Math.round(pipelinedMs),
    'throughput.endToEnd.eventDrainMs': Math.round(drainMs),
    'throughput.endToEnd.cpuMsPerRequest': round(pipelinedCpuMs / requests),
    // Whole requests (create + 2 approvals), notifications and the enforcer's handling of the grants' events included.
    'throughput.endToEnd.storeOpsPerRequest': round((pipelinedOps.reads + pipelinedOps.creates + pipelinedOps.replaces + pipelinedOps.upserts + pipelinedOps.deletes + pipelinedOps.queries) / requests),
    'throughput.endToEnd.storeConflictsPerRequest': round(pipelinedOps.conflicts / requests, 2),
    'throughput.endToEnd.createP50Ms': percentile(latency.create, 50),
    'throughput.endToEnd.createP95Ms': percentile(latency.create, 95),
    'throughput.endToEnd.approveP50Ms': percentile(latency.approve, 50),
    'throughput.endToEnd.approveP95Ms': percentile(latency.approve, 95),
    'throughput.endToEnd.grantingApproveP50Ms': percentile(latency.grantingApprove, 50),
    'throughput.endToEnd.grantingApproveP95Ms': percentile(latency.grantingApprove, 95),
    'throughput.createsPerSecond': perSecond(requests, createMs),
    'throughput.approvalsPerSecond': perSecond(2 * requests, firstApprovalMs + grantingApprovalMs),
    'throughput.approvalsBelowThresholdPerSecond': perSecond(requests, firstApprovalMs),
    'throughput.grantingApprovalsPerSecond': perSecond(requests, grantingApprovalMs),
  };
}

interface CostSnapshot {
  store: StoreOpsSnapshot;
  calls: Record<string, number>;
}

const costSnapshot = (): CostSnapshot => ({ store: storeOps.snapshot(), calls: armCalls.snapshot() });

/** Flat figures of what happened between two snapshots: store ops (total, by kind, by container) and Azure calls. */
function costFigures(prefix: string, before: CostSnapshot, after: CostSnapshot, per = 1): Figures {
  const diff = diffStoreOps(before.store, after.store);
  const f = (n: number) => round(n / per, 2);
  const writes = (c: StoreOpCounts) => c.creates + c.replaces + c.upserts + c.deletes;
  const out: Figures = {
    [`${prefix}.storeOps`]: f(diff.total.reads + writes(diff.total) + diff.total.queries),
    [`${prefix}.storeOps.reads`]: f(diff.total.reads),
    [`${prefix}.storeOps.writes`]: f(writes(diff.total)),
    [`${prefix}.storeOps.queries`]: f(diff.total.queries),
    [`${prefix}.storeOps.conflicts`]: f(diff.total.conflicts),
  };
  for (const [container, counts] of Object.entries(diff.byContainer).sort(([a], [b]) => a.localeCompare(b))) {
    const total = counts.reads + writes(counts) + counts.queries;
    if (total > 0) out[`${prefix}.storeOps.${container}`] = f(total);
    if (counts.conflicts > 0) out[`${prefix}.storeOps.conflicts.${container}`] = f(counts.conflicts);
  }
  let arm = 0;
  let graph = 0;
  for (const [kind, count] of Object.entries(after.calls)) {
    const delta = count - (before.calls[kind] ?? 0);
    if (kind === 'graph') graph += delta;
    else arm += delta;
  }
  out[`${prefix}.armCalls`] = f(arm);
  out[`${prefix}.graphCalls`] = f(graph);
  return out;
}

/** (b) The cost of one approval below the threshold, of the approval that grants, and of the enforcer's look at the new assignment. */
async function benchApprovalCost(stack: LocalStack): Promise<Figures> {
  const [researcher] = await addResearchers(stack, 1, 'c');
  const request = await createAs(stack, researcher!);
  await stack.sim.events.idle();

  const beforeFirst = costSnapshot();
  await approveAs(stack, APPROVERS.bob, request.id, 'pending');
  const afterFirst = costSnapshot();

  const heldDelay = stack.sim.knobs.eventDelayMs;
  stack.sim.knobs.eventDelayMs = EVENT_HOLD_MS;
  const deliveredBefore = stack.sim.events.delivered();
  let afterGranting: CostSnapshot;
  const beforeGranting = costSnapshot();
  try {
    await approveAs(stack, APPROVERS.carol, request.id, 'approved');
    afterGranting = costSnapshot();
    if (stack.sim.events.delivered() !== deliveredBefore) throw new Error(`the grant's write event was delivered within ${EVENT_HOLD_MS} ms, so its cost would be counted in the approval's`);
  } finally {
    stack.sim.knobs.eventDelayMs = heldDelay;
  }
  await stack.sim.events.idle();
  const afterEvent = costSnapshot();
  return {
    ...costFigures('approval.belowThreshold', beforeFirst, afterFirst),
    ...costFigures('approval.granting', beforeGranting, afterGranting),
    ...costFigures('enforcer.grantWriteEvent', afterGranting, afterEvent),
  };
}

/** Cumulative time spent in each method of an object, summed over concurrent calls. */
function timedProxy<T extends object>(target: T, label: string, totals: Map<string, { ms: number; calls: number }>): T {
  return new Proxy(target, {
    get(obj, prop, receiver) {
      const value = Reflect.get(obj, prop, receiver) as unknown;
      if (typeof value !== 'function' || typeof prop !== 'string') return value;
      return (...args: unknown[]) => {
        const start = performance.now();
        const result = (value as (...a: unknown[]) => unknown).apply(obj, args);
        if (!(result instanceof Promise)) return result;
        return result.finally(() => {
          const key = `${label}.${prop}`;
          const total = totals.get(key) ?? { ms: 0, calls: 0 };
          total.ms += performance.now() - start;
          total.calls += 1;
          totals.set(key, total);
        });
      };
    },
  });
}

/** The grants repository with the time of its due-work queries (run between batches, so wall time) added to `totals[key]`. */
function timedQueries(grants: GrantRepository, key: string, totals: Map<string, { ms: number; calls: number }>): GrantRepository {
  const queries = new Set<string | symbol>(['due', 'pendingRemovals', 'expiringUnwarned']);
  return new Proxy(grants, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target) as unknown;
      if (typeof value !== 'function') return value;
      const method = (value as (...a: unknown[]) => unknown).bind(target);
      if (!queries.has(prop)) return method;
      return async (...args: unknown[]) => {
        const start = performance.now();
        try {
          return await method(...args);
        } finally {
          const total = totals.get(key) ?? { ms: 0, calls: 0 };
          total.ms += performance.now() - start;
          total.calls += 1;
          totals.set(key, total);
        }
      };
    },
  });
}

/** Seeds `count` active grants as fulfilment leaves them: coverage document, role assignment named after the grant, grant document. */
async function seedGrants(stack: LocalStack, holders: readonly BenchUser[], expiresAt: Date, startsAt: Date): Promise<Grant[]> {
  const role = findBuiltInRole(ROLE_NAME);
  if (!role) throw new Error(`unknown built-in role ${ROLE_NAME}`);
  const grantStore = stack.deps.grants;
  const definitionId = roleDefinitionId(LOCAL_SUBSCRIPTION_ID, role.guid);
  const seeded: Grant[] = [];
  await mapLimited(
    holders,
    SEED_CONCURRENCY,
    async (holder) => {
      const requestId = randomUUID();
      const grantId = grantIdFor(requestId);
      const principalId = holder.id;
      const assignment = stack.sim.state.seedAssignment({ scope: SCOPE, role: role.guid, principalId, principalType: 'User', name: grantId, description: `AccessManager grant ${grantId} for request ${requestId}` });
      const coverage: Coverage = {
        id: coverageKey(principalId, role.guid, SCOPE),
        type: 'coverage',
        principalId,
        roleDefinitionGuid: role.guid,
        scope: SCOPE,
        assignmentId: assignment.id,
        entries: [{ grantId, expiresAt: expiresAt.toISOString() }],
      };
      await createDoc(stack.containers.coverage, coverage);
      const { grant } = await grantStore.createOrGet({
        id: grantId,
        type: 'grant',
        requestId,
        requestIds: [requestId],
        principalId,
        roleDefinitionId: definitionId,
        roleName: role.roleName,
        scope: SCOPE,
        scopeKey: SCOPE.toLowerCase(),
        policyId: 'model-weights',
        assignmentId: assignment.id,
        startsAt: startsAt.toISOString(),
        expiresAt: expiresAt.toISOString(),
        status: 'active',
        requester: { id: holder.id, name: holder.name },
        approvers: [
          { ...APPROVERS.bob, at: startsAt.toISOString() },
          { ...APPROVERS.carol, at: startsAt.toISOString() },
        ],
      });
      seeded.push(grant);
    },
  );
  return seeded;
}

async function countGrants(stack: LocalStack, status: string): Promise<number> {
  const { resources } = await stack.containers.grants.items
    .query<number>({ query: 'SELECT VALUE COUNT(1) FROM c WHERE c.status = @status', parameters: [{ name: '@status', value: status }] })
    .fetchAll();
  return resources[0] ?? 0;
}

/** (c) expireGrants for `count` grants expiring at once: wall time, cost per grant, where the time goes; then checks every grant ended and every assignment went. */
export async function benchExpiry(count: number, notifier: 'teams' | 'recording', log: (line: string) => void): Promise<Figures> {
  const clock = new ManualClock(new Date('2026-03-02T08:00:00.000Z'));
  const stack = await startLocalStack({ port: 0, simPort: 0, cosmosPort: 0, instrument: instrumentation, clock, ...notifierOption(notifier) });
  try {
    const startsAt = clock.now();
    const expiresAt = new Date(startsAt.getTime() + 60 * 60_000);
    const installStart = performance.now();
    const holders = await addResearchers(stack, count, 'x');
    const installMs = performance.now() - installStart;
    const seedStart = performance.now();
    const seeded = await seedGrants(stack, holders, expiresAt, startsAt);
    const seedMs = performance.now() - seedStart;
    log(`(c) ${notifier === 'teams' ? `installed Teams for ${count} holders in ${Math.round(installMs)} ms; ` : ''}seeded ${count} grants in ${Math.round(seedMs)} ms`);

    clock.set(new Date(expiresAt.getTime() + 60_000));
    // One due-query page alone, as each batch of the run issues it against the full container.
    const dueStart = performance.now();
    const firstPage = await stack.deps.grants.due(clock.now(), 200);
    const dueQueryMs = performance.now() - dueStart;
    if (firstPage.length !== Math.min(200, count)) throw new Error(`the due query found ${firstPage.length} grants, expected ${Math.min(200, count)}`);

    const totals = new Map<string, { ms: number; calls: number }>();
    const deps: Deps = {
      ...stack.deps,
      roleAssignments: timedProxy<RoleAssignments>(stack.deps.roleAssignments, 'arm', totals),
      audit: timedProxy(stack.deps.audit, 'audit', totals),
      notifier: timedProxy(stack.deps.notifier, 'notifier', totals),
      grants: timedQueries(stack.deps.grants, 'grants.queries', totals),
    };
    const before = costSnapshot();
    const runStart = performance.now();
    const runCpuStart = cpuMs();
    const report = await runExpiry(deps);
    const runMs = performance.now() - runStart;
    const runCpuMs = cpuMs() - runCpuStart;
    const after = costSnapshot();
    log(`(c) expireGrants ended ${report.expired} grants in ${Math.round(runMs)} ms (${report.failures} failures)`);

    const expired = await countGrants(stack, 'expired');
    const stillActive = await countGrants(stack, 'active');
    const assignmentsLeft = seeded.filter((g) => stack.sim.state.assignments.has(g.assignmentId)).length;
    if (report.expired !== count || report.failures !== 0 || expired !== count || stillActive !== 0 || assignmentsLeft !== 0) {
      throw new Error(
        `expiry incomplete: run reported ${report.expired} expired and ${report.failures} failures; store holds ${expired} expired and ${stillActive} active grants; ${assignmentsLeft} assignments remain`,
      );
    }
    await stack.sim.events.idle();

    const figures: Figures = {
      'expiry.grants': count,
      ...(notifier === 'teams' ? { 'expiry.teamsInstallMs': Math.round(installMs) } : {}),
      'expiry.seedMs': Math.round(seedMs),
      'expiry.runMs': Math.round(runMs),
      'expiry.grantsPerSecond': perSecond(count, runMs),
      'expiry.cpuMsPerGrant': round(runCpuMs / count, 2),
      'expiry.dueQueryMs': round(dueQueryMs),
      ...costFigures('expiry.perGrant', before, after, count),
    };
    const diff = diffStoreOps(before.store, after.store);
    const totalOps = diff.total.reads + diff.total.creates + diff.total.replaces + diff.total.upserts + diff.total.deletes + diff.total.queries;
    figures['expiry.storeOpsPerSecond'] = perSecond(totalOps, runMs);
    figures['expiry.dueQueries'] = diff.byContainer.grants?.queries ?? 0;
    // Busy time by dependency, summed over the grants handled in parallel, per grant; the grant
    // queries (due, pending removals, expiring) run alone, so theirs is wall time of the run.
    for (const [key, total] of totals) {
      if (key === 'grants.queries') figures['expiry.grantQueriesWallMs'] = Math.round(total.ms);
      else figures[`expiry.perGrantMs.${key}`] = round(total.ms / count, 2);
    }
    return figures;
  } finally {
    await stack.stop();
  }
}

function notifierOption(kind: 'teams' | 'recording'): { notifier?: RecordingNotifier } {
  return kind === 'recording' ? { notifier: new RecordingNotifier() } : {};
}

function envNotifier(): 'teams' | 'recording' {
  const raw = process.env.BENCH_NOTIFIER;
  if (raw === undefined || raw === '' || raw === 'teams') return 'teams';
  if (raw === 'recording') return 'recording';
  throw new ConfigError(`BENCH_NOTIFIER must be "teams" or "recording" (got ${JSON.stringify(raw)}).`);
}

export async function benchRequests(opts: BenchRequestsOptions = {}): Promise<Record<string, number>> {
  const requests = opts.requests ?? envCount('BENCH_REQUESTS', 200);
  const grants = opts.grants ?? envCount('BENCH_GRANTS', 10_000);
  const concurrency = opts.concurrency ?? envCount('BENCH_CONCURRENCY', 8);
  const notifier = opts.notifier ?? envNotifier();
  const log = opts.log ?? (() => undefined);

  // The machine may be shared: the load average says how far wall-time figures can be trusted.
  const loadAtStart = loadavg()[0]!;
  const stack = await startLocalStack({ port: 0, simPort: 0, cosmosPort: 0, instrument: instrumentation, ...notifierOption(notifier) });
  let figures: Figures;
  try {
    figures = { teamsNotifier: notifier === 'teams' ? 1 : 0, ...(await benchThroughput(stack, requests, concurrency, log)), ...(await benchApprovalCost(stack)) };
  } finally {
    await stack.stop();
  }
  const expiry = await benchExpiry(grants, notifier, log);
  return { ...figures, ...expiry, 'host.cpus': cpus().length, 'host.loadAvg1m.start': round(loadAtStart, 2), 'host.loadAvg1m.end': round(loadavg()[0]!, 2) };
}

if (require.main === module) {
  benchRequests({ log: (line) => process.stderr.write(`${line}\n`) }).then(
    (figures) => {
      process.stdout.write(`${JSON.stringify(figures)}\n`);
      process.exit(0);
    },
    (err: unknown) => {
      process.stderr.write(`bench/requests failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    },
  );
}
