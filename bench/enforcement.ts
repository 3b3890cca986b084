/**
 * Benchmarks of event-driven enforcement against a local stack on ephemeral ports (embedded
 * Cosmos, simulated tenant, local host, real SDK clients):
 *  (a) time-to-revoke: from the simulated ARM answering a rogue PUT to its DELETE of that
 *      assignment, through the simulator's own event emission and delivery; sequential, then
 *      with several rogue writes in flight;
 *  (b) throughput: a shuffled burst of approved, exempt and rogue events POSTed straight to the
 *      webhook (redelivering any 5xx as Event Grid would), then checked: nothing lost;
 *  (c) cost per event of each decision: store operations and ARM calls;
 *  (d) floor: the job's irreducible I/O (issue 14: ARM read, coverage read, one audit append, ARM delete, as each decision needs) made directly with the same clients, no AccessManager
 *      logic, interleaved with (c), and the ratio of AccessManager's time per event to it;
 *  (e) (c) and (d) again with Azure-like round trips injected at the embedded Cosmos server and
 *      the simulated ARM (`LATENCY_SETTINGS`), which AccessManager and the floor pay alike.
 * Sizes come from BENCH_* environment variables (see `enforcementOptionsFromEnv`).
 * `node dist/bench/enforcement.js` prints the figures as one JSON line.
 */
import { mapLimited } from '../shared/domain/concurrency';
import { envCount, addUsers, type BenchUser } from './common';
import { randomUUID } from 'node:crypto';
import { cp, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Agent } from 'undici';
import { z } from 'zod';
import { startLocalStack, type LocalStack } from '../dev/localStack';
import { RESOURCE_WRITE_SUCCESS, toArmEvent, type EventGridEvent } from '../dev/sim/events/armEvent';
import { armCalls, instrumentation, storeOps } from './instrument';
import { roleAssignmentId, scopeKey } from '../shared/domain/armIds';
import { AuditLedger } from '../shared/adapters/ledger/ledger';
import { handleArmEvent } from '../shared/usecases/enforcement';
import { ConfigError, ConflictError } from '../shared/domain/errors';
import { receivedEventFrom } from '../shared/domain/events/envelope';
import { coverageKey } from '../shared/domain/grants/grant';
import { principalHeaders } from '../shared/domain/caller';
import { RecordingNotifier } from '../shared/adapters/recordingNotifier';
import type { Notifier } from '../shared/ports/notifier';
import { createDoc, queryDocs, readDoc } from '../shared/adapters/cosmos/document';
import { diffStoreOps, type StoreOpCounts } from './storeOps';
import { DAVE_BASELINE_ASSIGNMENT_NAME, LOCAL_SUBSCRIPTION_ID, LOCAL_TENANT_ID, PEOPLE, RG, SUBSCRIPTION_SCOPE, APP_ASSIGNMENT_NAME } from '../dev/tenant';

export interface BenchEnforcementOptions {
  /** Rogue assignments timed one at a time (BENCH_REVOKES, default 500). */
  revokes: number;
  /** Rogue assignments timed with `revokeConcurrency` in flight (BENCH_REVOKES_CONCURRENT, default 500; 0 skips). */
  revokesConcurrent: number;
  /** Rogue writes in flight in that second run (BENCH_REVOKE_CONCURRENCY, default 8). */
  revokeConcurrency: number;
  /** Events in the burst (BENCH_BURST, default 2000): 40% rogue, 30% approved, 30% exempt. */
  burst: number;
  /** Approved grants (made through the API) whose events are in the burst (BENCH_BURST_GRANTS, default 100). */
  burstGrants: number;
  /** Deliveries in flight during the burst (BENCH_BURST_CONCURRENCY, default 16, as the simulator's Event Grid). */
  burstConcurrency: number;
  /** Events timed per decision for cost and floor (BENCH_COST_SAMPLES, default 100). */
  costSamples: number;
  /** Events timed per decision and latency setting for (e) (BENCH_LATENCY_SAMPLES, default 40; 0 skips). */
  latencySamples: number;
  log: (line: string) => void;
}


export function enforcementOptionsFromEnv(log: (line: string) => void = () => undefined): BenchEnforcementOptions {
  return {
    revokes: envCount('BENCH_REVOKES', 500),
    revokesConcurrent: envCount('BENCH_REVOKES_CONCURRENT', 500, 0),
    revokeConcurrency: envCount('BENCH_REVOKE_CONCURRENCY', 8),
    burst: envCount('BENCH_BURST', 2000, 10),
    burstGrants: envCount('BENCH_BURST_GRANTS', 100),
    burstConcurrency: envCount('BENCH_BURST_CONCURRENCY', 16),
    costSamples: envCount('BENCH_COST_SAMPLES', 100),
    latencySamples: envCount('BENCH_LATENCY_SAMPLES', 40, 0),
    log,
  };
}

type Figures = Record<string, unknown>;

const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;

function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return 0;
  const sorted = [...samples].sort((a, b) => a - b);
  return round(sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!);
}

const mean = (samples: readonly number[]) => (samples.length === 0 ? 0 : samples.reduce((a, b) => a + b, 0) / samples.length);


/** mulberry32: the burst's order is the same every run. */
function seededShuffle<T>(items: T[], seed: number): T[] {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------------------------------------
// The tenant the bench works in.

const ROLES = [
  '8e3af657-a8ff-443c-a75c-2fe8c4bcb635', // Owner
  'b24988ac-6180-42a0-ab88-20f7382dd24c', // Contributor
  'acdd72a7-3385-48ef-bd42-f606fba81ae7', // Reader
  '18d7d88d-d35e-4fb5-a5c3-7773c20a72d9', // User Access Administrator
  'f58310d9-a9f6-439a-9e8d-f62e7b41a168', // Role Based Access Control Administrator
  '17d1049b-9a84-46fb-8f53-869881c3d3ab', // Storage Account Contributor
  'ba92f5b4-2d11-453d-a403-e96b0029c9fe', // Storage Blob Data Contributor
  'b7e6dc6d-f1e8-4753-8033-0f276bb0955b', // Storage Blob Data Owner
  '00482a5a-887f-4fb3-b363-3b7fe8e74483', // Key Vault Administrator
  '4633458b-17de-408a-b874-0445c86b69e6', // Key Vault Secrets User
  'b86a8fe4-44ce-4948-aee5-eccb2c155cd7', // Key Vault Secrets Officer
];
const BLOB_READER = '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1';
const KEY_VAULT = `${RG.research}/providers/Microsoft.KeyVault/vaults/kv-research`;
const OPERATION_WRITE = 'Microsoft.Authorization/roleAssignments/write';



/** Hands out (principal, role) pairs nobody holds yet at a scope. */
class PairPool {
  private next = 0;
  constructor(private readonly users: BenchUser[]) {}
  take(): { principalId: string; roleGuid: string } {
    const i = this.next++;
    const user = this.users[Math.floor(i / ROLES.length)];
    if (!user) throw new ConfigError(`the bench ran out of synthetic principals after ${i} rogue assignments; add users`);
    return { principalId: user.id, roleGuid: ROLES[i % ROLES.length]! };
  }
}

/** The benchmark's copy of the seed policies, every breaker raised out of reach: this measures enforcement, not the breaker. */
async function benchPolicies(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'am-bench-policies-'));
  await cp(join(__dirname, '..', '..', 'policies'), dir, { recursive: true });
  for (const file of (await readdir(dir)).filter((f) => f.endsWith('.yaml'))) {
    const text = (await readFile(join(dir, file), 'utf8')).replace(/\nbreaker:\n(?:[ \t]+.*\n?)*/m, '\n');
    await writeFile(join(dir, file), `${text.trimEnd()}\n\nbreaker:\n  maxRevocations: 1000000\n  window: PT5M\n`);
  }
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Out-of-band ARM writes to the simulator (trusting its self-signed certificate). */
class Sim {
  private readonly agent: Agent;
  constructor(private readonly stack: LocalStack) {
    this.agent = new Agent({ connect: { ca: stack.ca }, connections: 64 });
  }

  /** PUT as dave (or `caller`); `answeredAt` is when ARM's answer arrived. */
  async assign(scope: string, roleGuid: string, principalId: string, opts: { events?: boolean; caller?: string; name?: string } = {}): Promise<{ id: string; answeredAt: number }> {
    const id = roleAssignmentId(scope, opts.name ?? randomUUID());
    const res = await fetch(`${this.stack.sim.url}${id}?api-version=2022-04-01`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', 'x-sim-caller': opts.caller ?? PEOPLE.dave, ...(opts.events === false ? { 'x-sim-events': 'off' } : {}) },
      body: JSON.stringify({ properties: { roleDefinitionId: `${SUBSCRIPTION_SCOPE}/providers/Microsoft.Authorization/roleDefinitions/${roleGuid}`, principalId } }),
      dispatcher: this.agent,
    } as RequestInit);
    const answeredAt = performance.now();
    const text = await res.text();
    if (res.status !== 201) throw new Error(`PUT ${id} answered ${res.status}: ${text.slice(0, 300)}`);
    return { id, answeredAt };
  }

  close(): Promise<void> {
    return this.agent.close();
  }
}

/** A ResourceWriteSuccess event about `assignmentId`, in the shape the simulator (and Azure) emit. */
function writeEvent(assignmentId: string, caller: { objectId: string; upn?: string }): EventGridEvent {
  const authorizing = caller.objectId === PEOPLE.accessManager ? APP_ASSIGNMENT_NAME : DAVE_BASELINE_ASSIGNMENT_NAME;
  const claims: Record<string, string> = { 'http://schemas.microsoft.com/identity/claims/objectidentifier': caller.objectId, appid: '04b07795-8ddb-461a-bbee-02f9e1bf7b46', ipaddr: '203.0.113.7' };
  if (caller.upn) claims['http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn'] = caller.upn;
  return toArmEvent({
    id: randomUUID(),
    eventType: RESOURCE_WRITE_SUCCESS,
    eventTime: new Date(),
    subscriptionId: LOCAL_SUBSCRIPTION_ID,
    tenantId: LOCAL_TENANT_ID,
    resourceUri: assignmentId,
    operationName: OPERATION_WRITE,
    resourceProvider: 'Microsoft.Authorization',
    evidence: {
      role: caller.objectId === PEOPLE.accessManager ? 'User Access Administrator' : 'Owner',
      roleAssignmentScope: SUBSCRIPTION_SCOPE,
      roleAssignmentId: authorizing.replace(/-/g, ''),
      roleDefinitionId: (caller.objectId === PEOPLE.accessManager ? '18d7d88d-d35e-4fb5-a5c3-7773c20a72d9' : '8e3af657-a8ff-443c-a75c-2fe8c4bcb635').replace(/-/g, ''),
      principalId: caller.objectId,
      principalType: caller.objectId === PEOPLE.accessManager ? 'ServicePrincipal' : 'User',
    },
    claims,
    correlationId: randomUUID(),
    clientRequestId: randomUUID(),
    clientIpAddress: '203.0.113.7',
    method: 'PUT',
    pathAndQuery: `${assignmentId}?api-version=2022-04-01`,
  });
}

const DAVE = { objectId: PEOPLE.dave, upn: 'dave@contoso.test' };
const SELF = { objectId: PEOPLE.accessManager };

/** POSTs one event to the webhook as Event Grid does; 5xx and connection errors are redelivered with back-off. */
async function deliverUntilAccepted(url: string, event: EventGridEvent): Promise<{ attempts: number }> {
  const body = JSON.stringify([event]);
  for (let attempt = 1; ; attempt++) {
    let status = 0;
    try {
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'aeg-event-type': 'Notification' }, body });
      status = res.status;
      await res.arrayBuffer();
    } catch {
      status = 0;
    }
    if (status >= 200 && status <= 204) return { attempts: attempt };
    if (status >= 400 && status < 500 && status !== 429) throw new Error(`the webhook refused a valid event with ${status}`);
    if (attempt >= 10) throw new Error(`event ${event.id} still failed (${status}) after ${attempt} deliveries`);
    await sleep(Math.min(100 * 2 ** (attempt - 1), 3200));
  }
}

/** Every audit record of `action`, all pages. */
async function recordsOf(stack: LocalStack, action: 'assignment.revoked' | 'assignment.exempt' | 'assignment.wouldRevoke'): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  let continuationToken: string | undefined;
  do {
    const page = await stack.deps.audit.query({ action, limit: 500, ...(continuationToken ? { continuationToken } : {}) });
    for (const r of page.items) if (r.assignmentId) counts.set(scopeKey(r.assignmentId), (counts.get(scopeKey(r.assignmentId)) ?? 0) + 1);
    continuationToken = page.continuationToken;
  } while (continuationToken);
  return counts;
}

// ---------------------------------------------------------------------------------------------
// (a) time-to-revoke

/** Resolves when the simulated ARM deletes an assignment: a hook on its store, so no polling skews the figure. */
class DeleteWatch {
  private readonly waiters = new Map<string, (at: number) => void>();
  private readonly deletedAt = new Map<string, number>();
  constructor(stack: LocalStack) {
    const store = stack.sim.state.assignments;
    const original = store.delete.bind(store);
    store.delete = (id: string) => {
      const removed = original(id);
      if (removed) {
        const at = performance.now();
        const key = scopeKey(id);
        const waiter = this.waiters.get(key);
        if (waiter) {
          this.waiters.delete(key);
          waiter(at);
        } else this.deletedAt.set(key, at);
      }
      return removed;
    };
  }
  deleted(id: string, timeoutMs = 30_000): Promise<number> {
    const key = scopeKey(id);
    const already = this.deletedAt.get(key);
    if (already !== undefined) {
      this.deletedAt.delete(key);
      return Promise.resolve(already);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${id} was not revoked within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.set(key, (at) => {
        clearTimeout(timer);
        resolve(at);
      });
    });
  }
}

async function benchTimeToRevoke(sim: Sim, pool: PairPool, watch: DeleteWatch, count: number, concurrency: number): Promise<{ samples: number[]; wallMs: number }> {
  const samples: number[] = [];
  const started = performance.now();
  await mapLimited(
    Array.from({ length: count }, () => pool.take()),
    concurrency,
    async (pair) => {
      // Listen before writing: the delete can land before the PUT's answer is read.
      const name = randomUUID();
      const deleted = watch.deleted(roleAssignmentId(RG.weights, name));
      const { answeredAt } = await sim.assign(RG.weights, pair.roleGuid, pair.principalId, { name });
      samples.push(Math.max(0, (await deleted) - answeredAt));
    },
  );
  return { samples, wallMs: performance.now() - started };
}

// ---------------------------------------------------------------------------------------------
// (b) throughput

interface BurstSetup {
  events: EventGridEvent[];
  rogue: string[];
  approved: string[];
  exempt: string[];
}

async function createGrants(stack: LocalStack, users: BenchUser[]): Promise<string[]> {
  const bob = { id: PEOPLE.bob, name: 'bob@contoso.test' };
  const carol = { id: PEOPLE.carol, name: 'carol@contoso.test' };
  const post = async (user: BenchUser, path: string, body: unknown, expected: number) => {
    const res = await fetch(`${stack.url}${path}`, { method: 'POST', headers: { ...principalHeaders(user), 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const text = await res.text();
    if (res.status !== expected) throw new Error(`POST ${path} answered ${res.status}: ${text.slice(0, 300)}`);
    return JSON.parse(text) as { id: string; status: string; grantId?: string };
  };
  const assignmentIds: string[] = [];
  await mapLimited(users, 8, async (user) => {
    const request = await post(user, '/api/requests', { scope: RG.weights, role: 'Storage Blob Data Reader', duration: 'PT8H', justification: 'benchmark: evaluate a checkpoint' }, 201);
    await post(bob, `/api/requests/${request.id}/approve`, { comment: 'bench' }, 200);
    const approved = await post(carol, `/api/requests/${request.id}/approve`, { comment: 'bench' }, 200);
    if (approved.status !== 'approved' || !approved.grantId) throw new Error(`request ${request.id} was not approved`);
    assignmentIds.push(roleAssignmentId(RG.weights, approved.grantId));
  });
  for (const id of assignmentIds) if (!stack.sim.state.assignments.has(id)) throw new Error(`the grant's assignment ${id} is missing`);
  return assignmentIds;
}

async function setUpBurst(stack: LocalStack, sim: Sim, pool: PairPool, grantUsers: BenchUser[], size: number): Promise<BurstSetup> {
  const rogueCount = Math.round(size * 0.4);
  const approvedEvents = Math.round(size * 0.3);
  const exemptEvents = size - rogueCount - approvedEvents;
  const exemptAssignments = Math.max(1, Math.round(exemptEvents / 3));

  const approved = await createGrants(stack, grantUsers);
  const rogue: string[] = [];
  await mapLimited(Array.from({ length: rogueCount }, () => pool.take()), 16, async (p) => {
    rogue.push((await sim.assign(RG.weights, p.roleGuid, p.principalId, { events: false })).id);
  });
  // Break-glass and AccessManager's own identity, on secrets of the research vault (ARM takes any secret name as a scope).
  const exempt: string[] = [];
  await mapLimited(Array.from({ length: exemptAssignments }, (_, i) => i), 16, async (i) => {
    const principal = i % 2 === 0 ? PEOPLE.breakglass : PEOPLE.accessManager;
    exempt.push((await sim.assign(`${KEY_VAULT}/secrets/bench-exempt-${i}`, ROLES[2]!, principal, { events: false })).id);
  });

  const events: EventGridEvent[] = [
    ...rogue.map((id) => writeEvent(id, DAVE)),
    ...Array.from({ length: approvedEvents }, (_, i) => writeEvent(approved[i % approved.length]!, SELF)),
    ...Array.from({ length: exemptEvents }, (_, i) => writeEvent(exempt[i % exempt.length]!, DAVE)),
  ];
  return { events: seededShuffle(events, 20261127), rogue, approved, exempt };
}

async function benchBurst(stack: LocalStack, setup: BurstSetup, concurrency: number): Promise<Figures> {
  const url = `${stack.url}/runtime/webhooks/eventgrid?functionName=armEvents`;
  const storeBefore = storeOps.snapshot();
  const armBefore = armCalls.total();
  let deliveries = 0;
  const started = performance.now();
  await mapLimited(setup.events, concurrency, async (event) => {
    const { attempts } = await deliverUntilAccepted(url, event);
    deliveries += attempts;
  });
  const wallMs = performance.now() - started;
  const opsDiff = diffStoreOps(storeBefore, storeOps.snapshot());
  const ops = opsDiff.total;
  const opsByContainer: Record<string, number> = {};
  for (const [container, counts] of Object.entries(opsDiff.byContainer)) {
    for (const key of ['reads', 'creates', 'replaces', 'upserts', 'queries'] as const) if (counts[key] > 0) opsByContainer[`${container}.${key}`] = counts[key];
  }
  const arm = armCalls.total() - armBefore;

  // Nothing lost: the state and the ledger say exactly what the events asked for.
  const has = (id: string) => stack.sim.state.assignments.has(id);
  const rogueLeft = setup.rogue.filter(has).length;
  const approvedMissing = setup.approved.filter((id) => !has(id)).length;
  const exemptMissing = setup.exempt.filter((id) => !has(id)).length;
  const revoked = await recordsOf(stack, 'assignment.revoked');
  const exemptRecords = await recordsOf(stack, 'assignment.exempt');
  const wouldRevoke = await recordsOf(stack, 'assignment.wouldRevoke');
  const revokedOnce = setup.rogue.filter((id) => revoked.get(scopeKey(id)) === 1).length;
  const exemptOnce = setup.exempt.filter((id) => exemptRecords.get(scopeKey(id)) === 1).length;
  const strayRecords = [...setup.approved, ...setup.exempt].filter((id) => revoked.has(scopeKey(id)) || wouldRevoke.has(scopeKey(id))).length;
  const nothingLost = rogueLeft === 0 && approvedMissing === 0 && exemptMissing === 0 && revokedOnce === setup.rogue.length && exemptOnce === setup.exempt.length && strayRecords === 0;
  return {
    events: setup.events.length,
    rogueEvents: setup.rogue.length,
    approvedEvents: setup.events.filter((e) => setup.approved.includes(e.subject)).length,
    exemptEvents: setup.events.filter((e) => setup.exempt.includes(e.subject)).length,
    approvedAssignments: setup.approved.length,
    exemptAssignments: setup.exempt.length,
    concurrency,
    wallMs: round(wallMs, 0),
    eventsPerSec: round((setup.events.length * 1000) / wallMs, 1),
    deliveries,
    redeliveries: deliveries - setup.events.length,
    storeOpsPerEvent: round(opsTotal(ops) / setup.events.length),
    storeConflicts: ops.conflicts,
    opsByContainer,
    armCallsPerEvent: round(arm / setup.events.length),
    rogueLeft,
    approvedMissing,
    exemptMissing,
    revokedRecordedOnce: revokedOnce,
    exemptRecordedOnce: exemptOnce,
    strayRecords,
    nothingLost,
  };
}

const opsTotal = (c: StoreOpCounts) => c.reads + c.creates + c.replaces + c.upserts + c.deletes + c.queries;

// ---------------------------------------------------------------------------------------------
// (c) cost per event and (d) the floor

/**
 * `exemptRepeat`: another write event on an exempt assignment whose decision this instance
 * recorded; `exemptRepeatOtherInstance`: the same, handled by an instance that did not record it
 * (a second AuditLedger on the same store, as another Functions instance), so the ledger dedupes.
 */
type DecisionKind = 'allowed' | 'exempt' | 'exemptRepeat' | 'exemptRepeatOtherInstance' | 'revoked' | 'wouldRevoke';

interface Sample {
  ms: number;
  storeOps: number;
  storeDetail: Record<string, number>;
  armCalls: number;
}

/** Store operations by container and kind, as `container.kind` counts. */
function opDetail(before: ReturnType<typeof storeOps.snapshot>, after: ReturnType<typeof storeOps.snapshot>): Record<string, number> {
  const diff = diffStoreOps(before, after);
  const detail: Record<string, number> = {};
  for (const [container, counts] of Object.entries(diff.byContainer)) {
    for (const key of ['reads', 'creates', 'replaces', 'upserts', 'deletes', 'queries'] as const) if (counts[key] > 0) detail[`${container}.${key}`] = counts[key];
  }
  return detail;
}

async function measure(work: () => Promise<unknown>): Promise<Sample> {
  const before = storeOps.snapshot();
  const armBefore = armCalls.total();
  const t = performance.now();
  await work();
  const ms = performance.now() - t;
  const after = storeOps.snapshot();
  return { ms, storeOps: opsTotal(diffStoreOps(before, after).total), storeDetail: opDetail(before, after), armCalls: armCalls.total() - armBefore };
}

const looseDoc = z.looseObject({ id: z.string() });

/**
 * The floor of one decision: the job's irreducible I/O, made directly with the same clients, with
 * no decoding, policy lookup or decision (issue 14). An allowed assignment needs one ARM read and
 * one store read (its coverage); a revoked one adds one audit append and the ARM delete; an exempt
 * one the ARM read and the append; "would revoke" the ARM read, the coverage read and the append.
 * AccessManager's extra calls (revocation intent, the ledger's idempotency marker, the breaker's
 * counter) count against it: its op counts are printed beside the floor's.
 */
interface Floor {
  /** Work before the timed part (a repeat needs the first record's marker). */
  prepare(): Promise<string>;
  run(assignmentId: string, principalId: string, roleGuid: string, scope: string, prepared?: string): Promise<void>;
}

function floorFor(stack: LocalStack, kind: DecisionKind): Floor {
  const { roleAssignments } = stack.deps;
  const stores = stack.containers;
  const markerId = (n: string) => `audit-key:bench-floor-${n}`;
  // The irreducible record of a decision: one append (AccessManager's idempotency marker is its own choice, not the job's).
  const auditRecord = async (n: string) => {
    await createDoc(stores.audit, { id: `bench-floor:${n}`, chainId: 'bench-floor', seq: 0, at: new Date().toISOString(), action: 'assignment.exempt', actor: { id: PEOPLE.dave }, idempotencyKeyHash: n, reason: 'floor'.repeat(20) });
  };
  return {
    async prepare() {
      const n = randomUUID();
      await auditRecord(n);
      return n;
    },
    async run(assignmentId, principalId, roleGuid, scope, prepared) {
      const live = await roleAssignments.get(assignmentId);
      if (!live) throw new Error(`floor: ${assignmentId} is missing`);
      if (kind === 'exemptRepeat') return; // ARM read only: the decision is known recorded
      if (kind === 'exemptRepeatOtherInstance') {
        // The repeat of a recorded decision: the marker's create is refused, the marker read, the record looked up.
        await createDoc(stores.state, { id: markerId(prepared!), keyHash: prepared, createdAt: new Date().toISOString() }).catch((err: unknown) => {
          if (!(err instanceof ConflictError)) throw err;
        });
        await readDoc(stores.state, markerId(prepared!), markerId(prepared!), looseDoc);
        await queryDocs(stores.audit, { query: 'SELECT TOP 1 * FROM c WHERE c.idempotencyKeyHash = @h', parameters: [{ name: '@h', value: prepared! }] }, looseDoc);
        return;
      }
      if (kind === 'exempt') return auditRecord(randomUUID());
      const coverageId = coverageKey(principalId, roleGuid, scope);
      await readDoc(stores.coverage, coverageId, coverageId, looseDoc);
      if (kind === 'allowed') return;
      await auditRecord(randomUUID());
      if (kind === 'revoked') await roleAssignments.delete(assignmentId);
    },
  };
}

interface CostRun {
  am: Sample[];
  amWebhook: Sample[];
  floor: Sample[];
}

const DECISION_KINDS: readonly DecisionKind[] = ['allowed', 'exempt', 'exemptRepeat', 'exemptRepeatOtherInstance', 'revoked', 'wouldRevoke'];

interface CostOptions {
  samples: number;
  kinds: readonly DecisionKind[];
  /** Also time each decision through the webhook (the local host's HTTP hop). */
  webhook: boolean;
  /** Names this run's scopes and synthetic users apart from another run's. */
  label: string;
}

async function benchCost(stack: LocalStack, sim: Sim, pool: PairPool, grantIds: string[], grantUsers: BenchUser[], opts: CostOptions): Promise<Partial<Record<DecisionKind, CostRun>>> {
  const { samples } = opts;
  const url = `${stack.url}/runtime/webhooks/eventgrid?functionName=armEvents`;
  const noLog = () => undefined;
  const out: Partial<Record<DecisionKind, CostRun>> = {};
  let exemptSeq = 0;
  const sandboxUsers = new PairPool(addUsers(stack, Math.ceil((samples * 3) / ROLES.length) + 1, `sandbox-${opts.label}`));

  /** A fresh subject of `kind`: (assignment id, principal, role, scope). */
  const fresh = async (kind: DecisionKind, i: number): Promise<[string, string, string, string]> => {
    switch (kind) {
      case 'allowed': {
        const user = grantUsers[i % grantUsers.length]!;
        return [grantIds[i % grantIds.length]!, user.id, BLOB_READER, RG.weights];
      }
      case 'exempt':
      case 'exemptRepeat':
      case 'exemptRepeatOtherInstance': {
        const scope = `${KEY_VAULT}/secrets/bench-cost-${opts.label}-${exemptSeq++}`;
        return [(await sim.assign(scope, ROLES[2]!, PEOPLE.breakglass, { events: false })).id, PEOPLE.breakglass, ROLES[2]!, scope];
      }
      case 'revoked': {
        const p = pool.take();
        return [(await sim.assign(RG.weights, p.roleGuid, p.principalId, { events: false })).id, p.principalId, p.roleGuid, RG.weights];
      }
      case 'wouldRevoke': {
        const p = sandboxUsers.take();
        return [(await sim.assign(RG.sandbox, p.roleGuid, p.principalId, { events: false })).id, p.principalId, p.roleGuid, RG.sandbox];
      }
    }
  };

  const otherInstance = { ...stack.deps, audit: new AuditLedger({ audit: stack.containers.audit, state: stack.containers.state, instanceTag: 'bench-other' }) };
  try {
    for (const kind of opts.kinds) {
      const run: CostRun = { am: [], amWebhook: [], floor: [] };
      const floor = floorFor(stack, kind);
      const repeat = kind === 'exemptRepeat' || kind === 'exemptRepeatOtherInstance';
      const handler = kind === 'exemptRepeatOtherInstance' ? otherInstance : stack.deps;
      const caller = kind === 'allowed' ? SELF : DAVE;
      for (let i = 0; i < samples; i++) {
        // Interleaved, so drift of the machine or the store hits AccessManager and the floor alike.
        const [idA] = await fresh(kind, i);
        if (repeat) await handleArmEvent(stack.deps, receivedEventFrom(writeEvent(idA, DAVE)), noLog);
        // The event is built before the clock starts: building it is Event Grid's work, decoding it is ours.
        const event = writeEvent(idA, caller);
        run.am.push(await measure(() => handleArmEvent(handler, receivedEventFrom(event), noLog)));

        if (opts.webhook && kind !== 'exemptRepeatOtherInstance') {
          const [idW] = await fresh(kind, i + 1);
          if (repeat) await handleArmEvent(stack.deps, receivedEventFrom(writeEvent(idW, DAVE)), noLog);
          const delivered = writeEvent(idW, caller);
          run.amWebhook.push(await measure(() => deliverUntilAccepted(url, delivered)));
        }

        const [idF, principalF, roleF, scopeF] = await fresh(kind, i + 2);
        const prepared = kind === 'exemptRepeatOtherInstance' ? await floor.prepare() : undefined;
        run.floor.push(await measure(() => floor.run(idF, principalF, roleF, scopeF, prepared)));
      }
      out[kind] = run;
    }
  } finally {
    await otherInstance.audit.close();
  }
  return out;
}

function summarizeCost(runs: Partial<Record<DecisionKind, CostRun>>): Figures {
  const figures: Figures = {};
  for (const [kind, run] of Object.entries(runs) as [DecisionKind, CostRun][]) {
    // The median op count is the steady cost; the mean includes amortized background work (ledger anchors, CAS retries).
    const storeMedian = percentile(run.am.map((s) => s.storeOps), 50);
    const detail = run.am.reduce<Record<string, number>>((acc, s) => {
      for (const [k, v] of Object.entries(s.storeDetail)) acc[k] = (acc[k] ?? 0) + v / run.am.length;
      return acc;
    }, {});
    const amMs = mean(run.am.map((s) => s.ms));
    const floorMs = mean(run.floor.map((s) => s.ms));
    figures[kind] = {
      storeOps: storeMedian,
      storeOpsMean: round(mean(run.am.map((s) => s.storeOps))),
      armCalls: percentile(run.am.map((s) => s.armCalls), 50),
      floorStoreOps: percentile(run.floor.map((s) => s.storeOps), 50),
      floorArmCalls: percentile(run.floor.map((s) => s.armCalls), 50),
      handlerMsMean: round(amMs),
      handlerMsP50: percentile(run.am.map((s) => s.ms), 50),
      ...(run.amWebhook.length ? { webhookMsMean: round(mean(run.amWebhook.map((s) => s.ms))), webhookRatioToFloor: round(mean(run.amWebhook.map((s) => s.ms)) / floorMs) } : {}),
      floorMsMean: round(floorMs),
      floorMsP50: percentile(run.floor.map((s) => s.ms), 50),
      ratioToFloor: round(amMs / floorMs),
      ratioToFloorP50: round(percentile(run.am.map((s) => s.ms), 50) / percentile(run.floor.map((s) => s.ms), 50)),
      ...Object.fromEntries(Object.entries(detail).map(([k, v]) => [`ops.${k}`, round(v)])),
    };
  }
  return figures;
}

// ---------------------------------------------------------------------------------------------
// (e) cost and floor with Azure-like round trips

/**
 * Round trips injected for (e), per call, at the servers (the embedded Cosmos server's
 * `latencyMs`, the simulator's `armLatencyMs` knob): every store operation and ARM call of
 * AccessManager and of the floor passes through them, so both pay the same delay per call.
 *  - Cosmos DB: the SLA promises point reads and writes under 10 ms at the 99th percentile
 *    in-region; the medians Microsoft once quoted for 1 KB items (cited in Cosmos DB talks, not
 *    in today's documentation) are under 2 ms (reads) and 6 ms (indexed writes). The Node SDK
 *    has gateway mode only (direct mode is .NET and Java), one more network hop per operation
 *    (learn.microsoft.com/azure/cosmos-db/sdk-connection-modes, .../monitor-server-side-latency).
 *    2 ms for every operation, writes and queries included, is low.
 *  - ARM: Microsoft publishes no latency figure or SLA for it (a tenant can read its own in the
 *    Azure Monitor metric `Latency` of microsoft.resources/subscriptions). Every call crosses
 *    ARM's front end (token validation, RBAC, throttling) and the Microsoft.Authorization
 *    provider behind it; 20 ms is an assumption at the low end, not a measurement.
 * The second setting, lower still, shows how the ratio moves as the round trips shrink.
 */
export const LATENCY_SETTINGS = [
  { key: 'withLatency', cosmosMs: 2, armMs: 20 },
  { key: 'withLowLatency', cosmosMs: 1, armMs: 5 },
] as const;

/**
 * What a held call really waits: a timer of `ms` fires up to about a millisecond late (libuv
 * counts whole milliseconds, and the machine is shared), so the figures give the effective
 * delay beside the nominal one.
 */
async function effectiveDelayMs(ms: number, samples = 30): Promise<number> {
  let total = 0;
  for (let i = 0; i < samples; i++) {
    const t = performance.now();
    await sleep(ms);
    total += performance.now() - t;
  }
  return round(total / samples);
}

/** The decisions the targets judge (bench/run.ts): the repeats of an exempt one are AccessManager's own saving, with no floor of their own. */
export const JUDGED_KINDS: readonly DecisionKind[] = ['allowed', 'exempt', 'revoked', 'wouldRevoke'];

/** The figures of a decision kept for each latency setting. */
const LATENCY_FIGURES = ['storeOps', 'armCalls', 'handlerMsMean', 'handlerMsP50', 'floorMsMean', 'floorMsP50', 'ratioToFloor', 'ratioToFloorP50'] as const;

/**
 * (c) and (d) under each latency setting (handler only: the webhook's HTTP hop is loopback
 * either way), merged into `cost` as `<kind>.<setting key>`. Latency is off again afterwards.
 */
async function benchCostWithLatency(stack: LocalStack, sim: Sim, pool: PairPool, grantIds: string[], grantUsers: BenchUser[], cost: Figures, samples: number, log: (line: string) => void): Promise<Figures> {
  const settings: Figures = {};
  const cosmos = stack.cosmos;
  if (!cosmos) throw new ConfigError('the latency runs need the embedded Cosmos server');
  try {
    for (const setting of LATENCY_SETTINGS) {
      const effective = { cosmosMsEffective: await effectiveDelayMs(setting.cosmosMs), armMsEffective: await effectiveDelayMs(setting.armMs) };
      settings[setting.key] = { cosmosMs: setting.cosmosMs, armMs: setting.armMs, ...effective };
      log(`cost per event and floor with Cosmos ${setting.cosmosMs} ms and ARM ${setting.armMs} ms per call (timers wait ${effective.cosmosMsEffective} and ${effective.armMsEffective} ms): ${samples} events per decision`);
      cosmos.latencyMs = setting.cosmosMs;
      stack.sim.knobs.armLatencyMs = setting.armMs;
      const runs = summarizeCost(await benchCost(stack, sim, pool, grantIds, grantUsers, { samples, kinds: JUDGED_KINDS, webhook: false, label: setting.key }));
      for (const [kind, f] of Object.entries(runs)) {
        const c = f as Record<string, number>;
        (cost[kind] as Figures)[setting.key] = { cosmosMs: setting.cosmosMs, armMs: setting.armMs, ...effective, samples, ...Object.fromEntries(LATENCY_FIGURES.map((name) => [name, c[name]])) };
        log(`  ${kind}: handler ${c['handlerMsMean']} ms vs floor ${c['floorMsMean']} ms (ratio ${c['ratioToFloor']}, of medians ${c['ratioToFloorP50']})`);
      }
    }
  } finally {
    cosmos.latencyMs = 0;
    stack.sim.knobs.armLatencyMs = 0;
  }
  return settings;
}

/**
 * What telling people costs: revocations of mallory's rogue assignments handled with the stack's
 * default notifier (Teams, through the simulated connector) and, interleaved, with the recording
 * one. The notification is sent after the delete (best effort), so it never delays the revocation
 * itself, but it is part of the handler's time. Its "no security channel" warnings are counted.
 */
async function benchNotification(stack: LocalStack, sim: Sim, notifier: Notifier, samples: number): Promise<Figures> {
  const recording = stack.deps.notifier;
  const withDefault: Sample[] = [];
  const withRecording: Sample[] = [];
  const warn = console.warn;
  let warnings = 0;
  console.warn = () => {
    warnings++;
  };
  try {
    for (let i = 0; i < samples; i++) {
      for (const [target, use] of [
        [withDefault, notifier],
        [withRecording, recording],
      ] as const) {
        const scope = `${KEY_VAULT}/secrets/bench-notify-${i}-${target === withDefault ? 'a' : 'b'}`;
        const { id } = await sim.assign(scope, ROLES[2]!, PEOPLE.mallory, { events: false });
        const event = writeEvent(id, DAVE);
        stack.deps.notifier = use;
        target.push(await measure(() => handleArmEvent(stack.deps, receivedEventFrom(event), () => undefined)));
      }
    }
  } finally {
    stack.deps.notifier = recording;
    console.warn = warn;
  }
  return {
    notifier: notifier.constructor.name,
    samples,
    handlerMsMean: round(mean(withDefault.map((s) => s.ms))),
    storeOps: percentile(withDefault.map((s) => s.storeOps), 50),
    recordingHandlerMsMean: round(mean(withRecording.map((s) => s.ms))),
    recordingStoreOps: percentile(withRecording.map((s) => s.storeOps), 50),
    warnings,
  };
}

// ---------------------------------------------------------------------------------------------

export async function benchEnforcement(opts: BenchEnforcementOptions): Promise<Figures> {
  const log = opts.log;
  const policies = await benchPolicies();
  const stack = await startLocalStack({ port: 0, simPort: 0, cosmosPort: 0, instrument: instrumentation, policiesDir: policies.dir });
  // The decisions' own cost is measured with the recording notifier; the stack's own (Teams) notifier gets a section of its own.
  const defaultNotifier = stack.deps.notifier;
  stack.deps.notifier = new RecordingNotifier();
  const sim = new Sim(stack);
  try {
    const watch = new DeleteWatch(stack);
    const rogueUsers = addUsers(stack, Math.ceil((opts.revokes + opts.revokesConcurrent + opts.burst + opts.costSamples * 6 + opts.latencySamples * 3 * LATENCY_SETTINGS.length) / ROLES.length) + 2, 'rogue');
    const pool = new PairPool(rogueUsers);
    const grantUsers = addUsers(stack, opts.burstGrants, 'grant');
    const figures: Figures = {};

    log(`time-to-revoke: ${opts.revokes} rogue assignments, one at a time`);
    await benchTimeToRevoke(sim, pool, watch, 20, 1); // warm-up: connections, JIT, the first chain of the ledger
    const sequential = await benchTimeToRevoke(sim, pool, watch, opts.revokes, 1);
    figures['timeToRevoke'] = {
      assignments: sequential.samples.length,
      concurrency: 1,
      p50Ms: percentile(sequential.samples, 50),
      p95Ms: percentile(sequential.samples, 95),
      p99Ms: percentile(sequential.samples, 99),
      maxMs: percentile(sequential.samples, 100),
      meanMs: round(mean(sequential.samples)),
    };
    log(`  p50 ${percentile(sequential.samples, 50)} ms, p95 ${percentile(sequential.samples, 95)} ms, p99 ${percentile(sequential.samples, 99)} ms`);
    if (opts.revokesConcurrent > 0) {
      log(`time-to-revoke: ${opts.revokesConcurrent} rogue assignments, ${opts.revokeConcurrency} in flight`);
      const concurrent = await benchTimeToRevoke(sim, pool, watch, opts.revokesConcurrent, opts.revokeConcurrency);
      figures['timeToRevokeConcurrent'] = {
        assignments: concurrent.samples.length,
        concurrency: opts.revokeConcurrency,
        p50Ms: percentile(concurrent.samples, 50),
        p95Ms: percentile(concurrent.samples, 95),
        p99Ms: percentile(concurrent.samples, 99),
        maxMs: percentile(concurrent.samples, 100),
        revocationsPerSec: round((concurrent.samples.length * 1000) / concurrent.wallMs, 1),
      };
      log(`  p50 ${percentile(concurrent.samples, 50)} ms, p95 ${percentile(concurrent.samples, 95)} ms, p99 ${percentile(concurrent.samples, 99)} ms`);
    }
    await stack.sim.events.idle();

    log(`throughput: setting up ${opts.burstGrants} grants and the assignments of a ${opts.burst}-event burst`);
    const setup = await setUpBurst(stack, sim, pool, grantUsers, opts.burst);
    await stack.sim.events.idle();
    // From here on the simulator emits nothing: the bench delivers every event itself.
    stack.sim.knobs.emitEvents = false;
    log(`throughput: delivering ${setup.events.length} events, ${opts.burstConcurrency} in flight`);
    const burst = await benchBurst(stack, setup, opts.burstConcurrency);
    figures['throughput'] = burst;
    log(`  ${String(burst['eventsPerSec'])} events/s, nothing lost: ${String(burst['nothingLost'])}`);

    log(`cost per event and floor: ${opts.costSamples} events per decision`);
    const cost = summarizeCost(await benchCost(stack, sim, pool, setup.approved, grantUsers, { samples: opts.costSamples, kinds: DECISION_KINDS, webhook: true, label: 'loopback' }));
    figures['costPerEvent'] = cost;
    for (const [kind, f] of Object.entries(cost)) {
      const c = f as Record<string, number>;
      log(`  ${kind}: ${c['storeOps']} store ops, ${c['armCalls']} ARM calls, handler ${c['handlerMsMean']} ms vs floor ${c['floorMsMean']} ms (ratio ${c['ratioToFloor']})`);
    }
    log(`notification of a revocation through the stack's default notifier (${defaultNotifier.constructor.name})`);
    figures['revokedNotified'] = await benchNotification(stack, sim, defaultNotifier, Math.max(10, Math.round(opts.costSamples / 3)));
    log(`  ${JSON.stringify(figures['revokedNotified'])}`);
    if (opts.latencySamples > 0) figures['costLatency'] = await benchCostWithLatency(stack, sim, pool, setup.approved, grantUsers, cost, opts.latencySamples, log);
    return figures;
  } finally {
    await sim.close();
    await stack.stop();
    await policies.cleanup();
  }
}

if (require.main === module) {
  benchEnforcement(enforcementOptionsFromEnv((line) => console.error(line)))
    .then((figures) => console.log(JSON.stringify(figures)))
    .catch((err: unknown) => {
      console.error(err);
      process.exitCode = 1;
    });
}
