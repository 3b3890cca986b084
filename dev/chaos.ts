/**
 * The crash test of issue 10 (finding 3): the store, the simulated Azure and Azurite run in this
 * process; the app host runs in ANOTHER process (dev/appHost.ts), which is killed with SIGKILL at
 * random points under mixed load (requests, approvals, denials, cancellations, early revokes,
 * rogue assignments, external deletes, expiries, timer runs) and restarted each time. Event Grid
 * keeps retrying deliveries while it is down, clients retry their calls. Then a second instance
 * (built here) runs the timers until nothing is left, and the invariants are checked:
 *   - every active grant has its live role assignment and exactly one `grant.created`;
 *   - every ended grant has exactly one end record (expired, revoked or ended externally);
 *   - every request has one `request.created`, one record per approval and one per resolution;
 *   - no unapproved assignment survives a reconcile (every one left is a grant's or the seed's);
 *   - no decision is recorded twice (no idempotency key twice, one revocation per rogue);
 *   - the ledger verifies.
 * `npm test` runs a few kills (test/chaos), `npm run bench` many (BENCH_ONLY=chaos).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { Agent } from 'undici';
import { buildApp, type App } from '../shared/compositionRoot';
import { loadConfig } from '../shared/config';
import { roleAssignmentId, roleDefinitionId, scopeKey } from '../shared/domain/armIds';
import { principalHeaders } from '../shared/domain/caller';
import type { AuditRecord } from '../shared/domain/audit/record';
import type { Grant } from '../shared/domain/grants/grant';
import type { AccessRequest } from '../shared/domain/requests/model';
import type { RevocationIntent } from '../shared/ports/enforcementState';
import { RecordingNotifier } from '../shared/adapters/recordingNotifier';
import { runExpiry } from '../shared/usecases/expiry';
import { reconcile } from '../shared/usecases/enforcement';
import { findBuiltInRole } from '../shared/domain/roles';
import { ADMIN_ROLE } from '../shared/domain/caller';
import { startEmbeddedAzurite, type EmbeddedAzurite } from './azurite';
import { startEmbeddedCosmos, type EmbeddedCosmos } from './cosmos';
import { ANCHOR_CONTAINER } from './localStack';
import { scaledClock, type AppHostOptions } from './hostOptions';
import { simCredential, startSimulator, type Simulator } from './sim';
import { LOCAL_SUBSCRIPTION_ID, LOCAL_TENANT_ID, PEOPLE, RG, SUBSCRIPTION_SCOPE } from './tenant';
import { generateLocalTls } from './tls';

export interface ChaosOptions {
  /** SIGKILLs of the app host. */
  kills: number;
  /** How long the host runs between kills: a random time in [minUpMs, maxUpMs]. */
  minUpMs?: number;
  maxUpMs?: number;
  /** Operations in flight at once. */
  workers?: number;
  /** At least this many operations complete between two kills (however slow the machine), so every run does real work. Default 4. */
  minOperationsBetweenKills?: number;
  /** How much faster the app's clock runs (one-minute grants expire in a second at 60). */
  clockSpeed?: number;
  seed?: number;
  log?: (line: string) => void;
}

export interface ChaosResult {
  kills: number;
  operations: Record<string, number>;
  requests: number;
  grants: { active: number; ended: number };
  rogueAssignments: number;
  records: number;
  /**
   * What verify said: ok, records checked, and how much lies past the last anchors: the killed
   * hosts' last moments (anchors follow at most about a second behind; each host here lived about
   * that long), in real seconds.
   */
  verify: { ok: boolean; checked: number; unanchoredRecords: number; chainsWithUnanchoredRecords: number; maxUnanchoredSeconds: number; problem?: string };
  violations: string[];
  seconds: number;
}

/** mulberry32: a run is reproducible from its seed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

/** The compiled child entry (jest runs this file from source; the child always runs from dist). */
function hostEntry(): string {
  const entry = __filename.endsWith('.ts') ? join(__dirname, '..', 'dist', 'dev', 'appHost.js') : join(__dirname, 'appHost.js');
  if (!existsSync(entry)) throw new Error(`${entry} is missing: run npm run build first.`);
  return entry;
}

interface Person {
  id: string;
  name: string;
  roles?: string[];
}

const APPROVERS = {
  weights: [
    { id: PEOPLE.bob, name: 'bob@contoso.test' },
    { id: PEOPLE.carol, name: 'carol@contoso.test' },
  ],
  security: [{ id: PEOPLE.erin, name: 'erin@contoso.test', roles: [ADMIN_ROLE] }],
};
const ERIN: Person = { id: PEOPLE.erin, name: 'erin@contoso.test', roles: [ADMIN_ROLE] };
const ROLE_GUID = (name: string) => findBuiltInRole(name)!.guid;

/** What can be requested, with whom to ask: one kind of request per line. */
const REQUESTABLE = [
  { scope: RG.weights, role: 'Storage Blob Data Reader', approvers: APPROVERS.weights },
  { scope: RG.research, role: 'Key Vault Secrets User', approvers: APPROVERS.security },
  { scope: SUBSCRIPTION_SCOPE, role: 'Reader', approvers: APPROVERS.security },
];
const ROGUE = [
  { scope: RG.weights, role: 'Storage Blob Data Owner' },
  { scope: RG.weights, role: 'Contributor' },
  { scope: RG.research, role: 'Key Vault Administrator' },
  { scope: SUBSCRIPTION_SCOPE, role: 'Owner' },
];
const DURATIONS = ['PT1M', 'PT2M', 'PT3M', 'PT1H'];

export async function runChaos(opts: ChaosOptions): Promise<ChaosResult> {
  const started = Date.now();
  const log = opts.log ?? (() => undefined);
  const rnd = random(opts.seed ?? 1);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rnd() * items.length)]!;
  const speed = opts.clockSpeed ?? 60;
  const epochMs = Date.now();
  const clock = scaledClock(epochMs, speed);
  const tls = await generateLocalTls();
  const stops: Array<() => Promise<unknown>> = [];
  let child: ChildProcess | undefined;
  let finalApp: App | undefined;
  const armAgent = new Agent({ connect: { ca: tls.cert } });
  try {
    const cosmos: EmbeddedCosmos = await startEmbeddedCosmos({ tls });
    stops.push(() => cosmos.stop());
    const sim: Simulator = await startSimulator({
      tls,
      // ARM's createdOn on the app's (faster) clock: "fresh" and "standing" compare the two.
      now: () => clock.now(),
      // Event Grid keeps retrying while the host is down (for 24 h; here long enough for a restart).
      knobs: { retryBaseMs: 100, retryMaxMs: 800, maxDeliveryAttempts: 30 },
    });
    stops.push(() => sim.stop());
    // The tenant as seeded (break-glass, dave's baseline at the subscription, AccessManager's own roles): exempt or outside every policy.
    const seeded = new Set([...sim.state.assignments.values()].map((a) => a.name.toLowerCase()));
    const azurite: EmbeddedAzurite = await startEmbeddedAzurite();
    stops.push(() => azurite.stop());

    const people: Person[] = Array.from({ length: 24 }, (_, i) => {
      const local = `chaos-${String(i).padStart(2, '0')}`;
      const person = { id: randomUUID(), name: `${local}@contoso.test` };
      sim.state.directory.add({ kind: 'User', id: person.id, displayName: local, givenName: local, surname: 'Chaos', jobTitle: 'Researcher', userPrincipalName: person.name, mail: person.name });
      return person;
    });

    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const settings: Record<string, string> = {
      ACCESSMANAGER_ENV: 'local',
      AZURE_TENANT_ID: LOCAL_TENANT_ID,
      AZURE_SUBSCRIPTION_ID: LOCAL_SUBSCRIPTION_ID,
      ACCESSMANAGER_PRINCIPAL_ID: PEOPLE.accessManager,
      BREAKGLASS_PRINCIPAL_IDS: PEOPLE.breakglass,
      COSMOS_ENDPOINT: cosmos.endpoint,
      COSMOS_KEY: cosmos.key,
      ARM_ENDPOINT: sim.url,
      GRAPH_ENDPOINT: sim.url,
      POLICIES_DIR: join(__dirname, '..', ...(__filename.endsWith('.ts') ? [] : ['..']), 'policies'),
      PUBLIC_BASE_URL: url,
      AUDIT_ANCHOR_CONTAINER_URL: `${azurite.accountUrl}/${ANCHOR_CONTAINER}`,
      AUDIT_ANCHOR_ACCOUNT_KEY: azurite.accountKey,
    };
    sim.events.setWebhook(`${url}/runtime/webhooks/eventgrid?functionName=armEvents`);
    // A killed host's unfinished append holds its key for the lease; shorter here than the 10 s
    // default so the run's last sweeps need not wait long for what the last kill left behind.
    const auditLeaseMs = 2000;
    const hostOptions: AppHostOptions = { settings, ca: tls.cert, port, instanceTag: 'chaos', clock: { epochMs, speed }, auditLeaseMs };

    let up = false;
    const output: string[] = [];
    const startChild = async (): Promise<void> => {
      const proc = fork(hostEntry(), [], { env: { ...process.env, AM_HOST_OPTIONS: JSON.stringify(hostOptions) }, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
      child = proc;
      const keep = (chunk: Buffer) => {
        output.push(chunk.toString());
        if (output.length > 200) output.shift();
      };
      proc.stdout?.on('data', keep);
      proc.stderr?.on('data', keep);
      await new Promise<void>((resolve, reject) => {
        proc.once('message', () => resolve());
        proc.once('exit', (code) => reject(new Error(`the app host exited (${code}) before it was ready:\n${output.join('').slice(-3000)}`)));
      });
      up = true;
    };
    const killChild = async (): Promise<void> => {
      const proc = child;
      if (!proc) return;
      up = false;
      const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
      proc.kill('SIGKILL');
      await exited;
    };

    const stopChild = async (): Promise<void> => {
      const proc = child;
      if (!proc || !up) return;
      up = false;
      const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
      proc.kill('SIGTERM');
      await exited;
    };

    /** One API call as `who`, retried while the host is down (as a client would). */
    const call = async <T>(who: Person, method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> => {
      for (let attempt = 0; ; attempt++) {
        try {
          const res = await fetch(`${url}${path}`, {
            method,
            headers: { ...principalHeaders({ id: who.id, name: who.name, roles: who.roles }), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
            body: body === undefined ? undefined : JSON.stringify(body),
          });
          const text = await res.text();
          // A 5xx (the host died mid-call, or a dependency hiccup): retry, as clients do.
          if (res.status >= 500 && attempt < 50) {
            await sleep(100);
            continue;
          }
          return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
        } catch {
          if (attempt >= 200) throw new Error(`${method} ${path}: the host did not come back`);
          await sleep(50);
        }
      }
    };
    const arm = async (method: string, path: string, body?: unknown): Promise<number> => {
      for (let attempt = 0; ; attempt++) {
        const res = await fetch(`${sim.url}${path}?api-version=2022-04-01`, {
          method,
          headers: { 'x-sim-caller': PEOPLE.dave, ...(body ? { 'content-type': 'application/json' } : {}) },
          body: body ? JSON.stringify(body) : undefined,
          dispatcher: armAgent,
        } as RequestInit);
        await res.text();
        if (res.status < 500 && res.status !== 429) return res.status;
        if (attempt > 20) return res.status;
      }
    };

    const ops: Record<string, number> = {};
    const count = (op: string) => (ops[op] = (ops[op] ?? 0) + 1);
    const requestIds: string[] = [];
    const rogueIds: string[] = [];
    const grantsOf = async (): Promise<Grant[]> => {
      const out: Grant[] = [];
      for await (const page of finalDeps().grants.active()) out.push(...page);
      return out;
    };
    // The parent's own view of the store (a second instance): built once the first host runs.
    let finalDeps: () => App['deps'] = () => {
      throw new Error('not built yet');
    };

    const operations: Array<[number, () => Promise<void>]> = [
      [
        35,
        async () => {
          const kind = pick(REQUESTABLE);
          const requester = pick(people);
          const created = await call<{ id?: string }>(requester, 'POST', '/api/requests', { scope: kind.scope, role: kind.role, duration: pick(DURATIONS), justification: 'chaos run' });
          if (created.status !== 201 || !created.body.id) return;
          requestIds.push(created.body.id);
          const fate = rnd();
          if (fate < 0.08) {
            await call(requester, 'POST', `/api/requests/${created.body.id}/cancel`);
            count('cancel');
          } else if (fate < 0.15) {
            await call(kind.approvers[0]!, 'POST', `/api/requests/${created.body.id}/deny`, { reason: 'not this week' });
            count('deny');
          } else {
            for (const approver of kind.approvers) await call(approver, 'POST', `/api/requests/${created.body.id}/approve`, { comment: 'ok' });
            count('approvedRequest');
          }
        },
      ],
      [
        20,
        async () => {
          const target = pick(ROGUE);
          const name = randomUUID();
          const id = roleAssignmentId(target.scope, name);
          const status = await arm('PUT', id, { properties: { roleDefinitionId: roleDefinitionId(LOCAL_SUBSCRIPTION_ID, ROLE_GUID(target.role)), principalId: pick(people).id } });
          if (status === 201) {
            rogueIds.push(id);
            count('rogue');
          }
        },
      ],
      [
        10,
        async () => {
          const listed = await call<{ items?: Array<{ id: string; assignmentId: string }> }>(ERIN, 'GET', '/api/grants?status=active');
          const grant = listed.body.items?.[Math.floor(rnd() * (listed.body.items?.length ?? 0))];
          if (!grant) return;
          if (rnd() < 0.6) {
            await call(ERIN, 'POST', `/api/grants/${grant.id}/revoke`, { reason: 'chaos: done early' });
            count('revoke');
          } else {
            await arm('DELETE', grant.assignmentId);
            count('externalDelete');
          }
        },
      ],
      [
        10,
        async () => {
          await fetch(`${url}/admin/functions/${rnd() < 0.7 ? 'expireGrants' : 'reconcile'}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"input":""}' }).catch(() => undefined);
          count('timer');
        },
      ],
    ];
    const totalWeight = operations.reduce((n, [w]) => n + w, 0);
    const oneOperation = async () => {
      let r = rnd() * totalWeight;
      for (const [weight, op] of operations) {
        r -= weight;
        if (r <= 0) return op();
      }
    };

    await startChild();
    // The final instance is built now (its start-up work is not part of the chaos).
    finalApp = await buildApp(loadConfig(settings), { credential: simCredential(PEOPLE.accessManager), ca: tls.cert, instanceTag: 'chaos-final', clock, notifier: new RecordingNotifier(), auditLeaseMs });
    const built = finalApp;
    finalDeps = () => built.deps;

    let loading = true;
    const workers = Array.from({ length: opts.workers ?? 4 }, async () => {
      while (loading) {
        try {
          await oneOperation();
        } catch (err) {
          log(`chaos: an operation failed for good: ${err instanceof Error ? err.message : String(err)}`);
          count('failedForGood');
        }
      }
    });
    const completed = () => Object.values(ops).reduce((a, b) => a + b, 0);
    for (let k = 0; k < opts.kills; k++) {
      const before = completed();
      await sleep((opts.minUpMs ?? 400) + rnd() * ((opts.maxUpMs ?? 1500) - (opts.minUpMs ?? 400)));
      const deadline = Date.now() + 30_000;
      while (completed() < before + (opts.minOperationsBetweenKills ?? 4) && Date.now() < deadline) await sleep(20);
      await killChild();
      log(`chaos: kill ${k + 1}/${opts.kills} after ${completed()} operations`);
      await sleep(rnd() * 200);
      await startChild();
    }
    loading = false;
    await Promise.all(workers);
    if (!up) await startChild();

    // Let deliveries land, stop the last host cleanly (it finishes what it is doing and closes its
    // chains), then the timers of a second instance finish whatever the kills interrupted.
    await sim.events.idle();
    await stopChild();
    sim.events.setWebhook(undefined);
    const deps = built.deps;
    // As the timers would, every minute: until nothing is left. What the last kill left behind
    // waits out its grace period (on the app's clock) and the ledger lease of its appends.
    let last = await reconcile(deps);
    for (let round = 0; round < 6; round++) {
      await runExpiry(deps);
      last = await reconcile(deps);
      await runExpiry(deps);
      await sim.events.idle();
      const left =
        (await deps.requests.withPendingAudit(1)).length +
        (await deps.grants.withPendingAudit(1)).length +
        (await deps.requests.unfulfilled(1)).length +
        (await unrecordedIntents(deps)).length;
      if (left === 0 && last.failures === 0 && last.deferred === 0) break;
      await sleep(Math.max(auditLeaseMs, Math.ceil(31_000 / speed)) + 100);
    }

    const violations = await checkInvariants(deps, sim, seeded, requestIds, rogueIds, last);
    const verified = await deps.audit.verify();
    if (!verified.ok) violations.push(`the ledger does not verify: ${verified.problem}`);
    const active = await grantsOf();
    const allGrants = (await deps.grants.list({ maxItemCount: 200 })).items.length;
    const records = verified.checked;
    return {
      kills: opts.kills,
      operations: ops,
      requests: requestIds.length,
      grants: { active: active.length, ended: allGrants - active.length },
      rogueAssignments: rogueIds.length,
      records,
      verify: {
        ok: verified.ok,
        checked: verified.checked,
        unanchoredRecords: verified.tail?.unanchoredRecords ?? 0,
        chainsWithUnanchoredRecords: verified.tail?.chainsWithUnanchoredRecords ?? 0,
        // Record times are on the app's scaled clock.
        maxUnanchoredSeconds: Math.round(((verified.tail?.maxUnanchoredSeconds ?? 0) / speed) * 10) / 10,
        ...(verified.problem ? { problem: verified.problem } : {}),
      },
      violations,
      seconds: Math.round((Date.now() - started) / 100) / 10,
    };
  } finally {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await finalApp?.close().catch(() => undefined);
    await armAgent.close();
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
  }
}

/** Every invariant of the issue, as a list of what is wrong (empty: all hold). */
async function checkInvariants(deps: App['deps'], sim: Simulator, seeded: ReadonlySet<string>, requestIds: string[], rogueIds: string[], lastReconcile: Awaited<ReturnType<typeof reconcile>>): Promise<string[]> {
  const violations: string[] = [];
  const records: AuditRecord[] = [];
  for (let token: string | undefined, first = true; first || token; first = false) {
    const page = await deps.audit.query({ limit: 500, ...(token ? { continuationToken: token } : {}) });
    records.push(...page.items);
    token = page.continuationToken;
  }
  const keyHashes = new Map<string, number>();
  for (const r of records) if (r.idempotencyKeyHash) keyHashes.set(r.idempotencyKeyHash, (keyHashes.get(r.idempotencyKeyHash) ?? 0) + 1);
  for (const [hash, n] of keyHashes) if (n > 1) violations.push(`idempotency key ${hash.slice(0, 12)} recorded ${n} times`);
  const by = (action: string, field: 'grantId' | 'requestId' | 'assignmentId', value: string) =>
    records.filter((r) => r.action === action && typeof r[field] === 'string' && scopeKey(r[field] as string) === scopeKey(value));

  const grants: Grant[] = [];
  for (let token: string | undefined, first = true; first || token; first = false) {
    const page = await deps.grants.list({ maxItemCount: 200, ...(token ? { continuationToken: token } : {}) });
    grants.push(...page.items);
    token = page.continuationToken;
  }
  const liveAssignmentsOfActiveGrants = new Set<string>();
  for (const g of grants) {
    const created = by('grant.created', 'grantId', g.id).length;
    if (created !== 1) violations.push(`grant ${g.id} (${g.status}) has ${created} grant.created records`);
    if (g.outbox?.length) violations.push(`grant ${g.id} still has ${g.outbox.length} queued audit entries`);
    if (g.status === 'active') {
      liveAssignmentsOfActiveGrants.add(scopeKey(g.assignmentId));
      if (!sim.state.assignments.has(g.assignmentId)) violations.push(`active grant ${g.id} has no live role assignment ${g.assignmentId}`);
    } else {
      const ends = ['grant.expired', 'grant.revoked', 'grant.endedExternally'].flatMap((a) => by(a, 'grantId', g.id)).length;
      if (ends !== 1) violations.push(`ended grant ${g.id} (${g.endReason}) has ${ends} end records`);
      if (g.pendingRemoval) violations.push(`ended grant ${g.id} still waits for its assignment's removal`);
    }
  }

  for (const id of requestIds) {
    const r: AccessRequest | undefined = await deps.requests.get(id);
    if (!r) {
      violations.push(`request ${id} is missing`);
      continue;
    }
    const created = by('request.created', 'requestId', id).length;
    if (created !== 1) violations.push(`request ${id} has ${created} request.created records`);
    const approvals = by('approval.recorded', 'requestId', id).length;
    if (approvals !== r.approvals.length) violations.push(`request ${id} has ${r.approvals.length} approvals and ${approvals} approval.recorded records`);
    const resolution = { denied: 'request.denied', cancelled: 'request.cancelled', timedOut: 'request.timedOut', failed: 'request.failed' }[r.status as string];
    if (resolution && by(resolution, 'requestId', id).length !== 1) violations.push(`request ${id} is ${r.status} with ${by(resolution, 'requestId', id).length} ${resolution} records`);
    if (r.status === 'approved' && !r.fulfilled) violations.push(`approved request ${id} is not fulfilled`);
    if (r.outbox?.length) violations.push(`request ${id} still has ${r.outbox.length} queued audit entries`);
  }

  for (const id of rogueIds) {
    const revoked = by('assignment.revoked', 'assignmentId', id).length;
    if (sim.state.assignments.has(id)) violations.push(`rogue assignment ${id} survived`);
    if (revoked !== 1) violations.push(`rogue assignment ${id} has ${revoked} assignment.revoked records`);
  }
  for (const a of sim.state.assignments.values()) {
    if (seeded.has(a.name.toLowerCase()) || liveAssignmentsOfActiveGrants.has(scopeKey(a.id))) continue;
    violations.push(`assignment ${a.id} for ${a.properties.principalId} survived a reconcile though no active grant or exemption covers it`);
  }
  if (lastReconcile.failures > 0 || lastReconcile.deferred > 0) violations.push(`the last reconcile had ${lastReconcile.failures} failures and ${lastReconcile.deferred} deferrals`);
  const leftover = await unrecordedIntents(deps);
  if (leftover.length > 0) violations.push(`${leftover.length} revocation intents were left without their record (e.g. ${leftover[0]!.key})`);
  return violations;
}

/** Intents stay after their record; one without it is a revocation nobody finished. */
async function unrecordedIntents(deps: App['deps']): Promise<RevocationIntent[]> {
  const intents = await deps.revocations.stale(new Date('9999-12-31T00:00:00Z'), 100_000);
  const recorded = await deps.audit.recorded(intents.map((i) => i.key));
  return intents.filter((i) => !recorded.has(i.key));
}
