/**
 * Benchmarks of guardrails against a local stack on ephemeral ports (embedded Cosmos, simulated
 * tenant, local host, real SDK clients):
 *  (a) time-to-remediate: from the simulated ARM answering dave's non-compliant PATCH of a
 *      storage account to the simulated ARM storing AccessManager's remediating PATCH, through the
 *      simulator's own event emission and delivery; one change per account (so no fight), one at
 *      a time;
 *  (b) cost per event: store operations and ARM calls of a remediation, of the event of our own
 *      PATCH, and of a no-op write on a compliant account;
 *  (c) floor: the same ARM and store calls made directly with the same clients (no decoding,
 *      policy lookup or decision), interleaved with (b), and the ratio of AccessManager's time to it.
 * Sizes: BENCH_GUARDRAIL_CHANGES (default 250), BENCH_GUARDRAIL_COST_SAMPLES (default 100).
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { StorageManagementClient } from '@azure/arm-storage';
import { Agent } from 'undici';
import { z } from 'zod';
import { startLocalStack, type LocalStack } from '../dev/localStack';
import { simCredential } from '../dev/sim';
import { RESOURCE_WRITE_SUCCESS, toArmEvent } from '../dev/sim/events/armEvent';
import { storageAccount } from '../dev/sim/seed';
import { LOCAL_SUBSCRIPTION_ID, LOCAL_TENANT_ID, PEOPLE, RG } from '../dev/tenant';
import { RecordingNotifier } from '../shared/adapters/recordingNotifier';
import { createDoc, readDoc, replaceDoc } from '../shared/adapters/cosmos/document';
import { scopeKey } from '../shared/domain/armIds';
import { receivedEventFrom } from '../shared/domain/events/envelope';
import { emptyState, guardrailStateId, withClosed, withOpen, withPatch } from '../shared/domain/guardrails/state';
import { handleArmEvent } from '../shared/usecases/enforcement';
import { envCount } from './common';
import { armCalls, instrumentation, storeOps } from './instrument';
import { diffStoreOps, type StoreOpCounts } from './storeOps';

type Figures = Record<string, unknown>;

const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;
const mean = (xs: readonly number[]) => (xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length);
function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return 0;
  const sorted = [...samples].sort((a, b) => a - b);
  return round(sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!);
}
const opsTotal = (c: StoreOpCounts) => c.reads + c.creates + c.replaces + c.upserts + c.deletes + c.queries;

export interface BenchGuardrailOptions {
  changes: number;
  costSamples: number;
  log: (line: string) => void;
}

export function guardrailOptionsFromEnv(log: (line: string) => void = () => undefined): BenchGuardrailOptions {
  return { changes: envCount('BENCH_GUARDRAIL_CHANGES', 250), costSamples: envCount('BENCH_GUARDRAIL_COST_SAMPLES', 100), log };
}

/** Accounts for the benchmark in rg-weights (model-weights guards them), compliant and private, put straight into the simulator. */
function addAccounts(stack: LocalStack, count: number, tag: string): string[] {
  return Array.from({ length: count }, (_, i) => {
    const account = storageAccount(RG.weights, `b${tag}${String(i).padStart(5, '0')}`.slice(0, 24));
    account.properties = {
      ...account.properties,
      publicNetworkAccess: 'Disabled',
      privateEndpointConnections: [{ id: `${account.id}/privateEndpointConnections/pe`, name: 'pe', properties: { provisioningState: 'Succeeded', privateLinkServiceConnectionState: { status: 'Approved' } } }],
    };
    stack.sim.state.resources.set(scopeKey(account.id), account);
    return account.id;
  });
}

/** Resolves when the simulated ARM stores `allowBlobPublicAccess: false` on an account: a hook on its state, so no polling skews the figure. */
class RemediationWatch {
  private readonly waiters = new Map<string, (at: number) => void>();
  constructor(stack: LocalStack) {
    const resources = stack.sim.state.resources;
    const original = resources.set.bind(resources);
    resources.set = (key, value) => {
      const before = resources.get(key);
      const result = original(key, value);
      if (before?.properties['allowBlobPublicAccess'] === true && value.properties['allowBlobPublicAccess'] === false) {
        const waiter = this.waiters.get(key);
        if (waiter) {
          this.waiters.delete(key);
          waiter(performance.now());
        }
      }
      return result;
    };
  }
  remediated(id: string, timeoutMs = 30_000): Promise<number> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${id} was not remediated within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.set(scopeKey(id), (at) => {
        clearTimeout(timer);
        resolve(at);
      });
    });
  }
}

async function timeToRemediate(stack: LocalStack, accounts: readonly string[]): Promise<{ samples: number[]; wallMs: number }> {
  const watch = new RemediationWatch(stack);
  const agent = new Agent({ connect: { ca: stack.ca } });
  const samples: number[] = [];
  const started = performance.now();
  try {
    for (const id of accounts) {
      const remediated = watch.remediated(id);
      const res = await fetch(`${stack.sim.url}${id}?api-version=2025-06-01`, {
        method: 'PATCH',
        headers: { 'content-type': 'application/json', 'x-sim-caller': PEOPLE.dave },
        body: JSON.stringify({ properties: { allowBlobPublicAccess: true } }),
        dispatcher: agent,
      } as RequestInit);
      const answeredAt = performance.now();
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`PATCH ${id} answered ${res.status}`);
      samples.push(Math.max(0, (await remediated) - answeredAt));
    }
  } finally {
    await agent.close();
  }
  return { samples, wallMs: performance.now() - started };
}

function writeEvent(resourceId: string, caller: string) {
  return receivedEventFrom(
    toArmEvent({
      id: randomUUID(),
      eventType: RESOURCE_WRITE_SUCCESS,
      eventTime: new Date(),
      subscriptionId: LOCAL_SUBSCRIPTION_ID,
      tenantId: LOCAL_TENANT_ID,
      resourceUri: resourceId,
      operationName: 'Microsoft.Storage/storageAccounts/write',
      resourceProvider: 'Microsoft.Storage',
      evidence: { role: 'Owner', roleAssignmentScope: `/subscriptions/${LOCAL_SUBSCRIPTION_ID}`, roleAssignmentId: 'x', roleDefinitionId: 'x', principalId: caller, principalType: 'User' },
      claims: { 'http://schemas.microsoft.com/identity/claims/objectidentifier': caller, ...(caller === PEOPLE.dave ? { 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn': 'dave@contoso.test' } : {}) },
      correlationId: randomUUID(),
      clientRequestId: randomUUID(),
      clientIpAddress: '203.0.113.7',
      method: 'PATCH',
      pathAndQuery: `${resourceId}?api-version=2025-06-01`,
    }),
  );
}

interface Sample {
  ms: number;
  storeOps: number;
  armCalls: number;
}

async function measure(work: () => Promise<unknown>, countArm?: () => number): Promise<Sample> {
  const before = storeOps.snapshot();
  const armBefore = countArm ? countArm() : armCalls.total();
  const t = performance.now();
  await work();
  const ms = performance.now() - t;
  return { ms, storeOps: opsTotal(diffStoreOps(before, storeOps.snapshot()).total), armCalls: (countArm ? countArm() : armCalls.total()) - armBefore };
}

const looseDoc = z.looseObject({ id: z.string() });
type Kind = 'remediated' | 'ownWrite' | 'compliant';

/**
 * The floor: what AccessManager does for each kind, made directly with the same clients in the
 * same order. Remediation: state read, ARM GET, intent write, ARM PATCH, the record (marker and
 * record), state write; the event of our own PATCH and a no-op write: state read and ARM GET.
 */
class Floor {
  private readonly client: StorageManagementClient;
  armCalls = 0;
  constructor(private readonly stack: LocalStack) {
    this.client = new StorageManagementClient(simCredential(PEOPLE.accessManager), LOCAL_SUBSCRIPTION_ID, { endpoint: stack.sim.url, tlsOptions: { ca: stack.ca }, retryOptions: { maxRetries: 3, retryDelayInMs: 200, maxRetryDelayInMs: 2000 } });
  }
  async run(kind: Kind, accountId: string): Promise<void> {
    const state = this.stack.containers.state;
    const id = guardrailStateId(accountId);
    const name = accountId.slice(accountId.lastIndexOf('/') + 1);
    const known = await readDoc(state, id, id, looseDoc);
    await this.client.storageAccounts.getProperties('rg-weights', name);
    this.armCalls++;
    if (kind !== 'remediated') return;
    // The same documents AccessManager writes (so the store carries the same sizes), built without its decision.
    const at = new Date().toISOString();
    const base = emptyState(accountId);
    const intentDoc = withOpen(base, 'allowBlobPublicAccess', 0, { value: 'true', action: 'remediate', since: at });
    const intent = known ? await replaceDoc(state, intentDoc, known.etag, id) : await createDoc(state, intentDoc);
    await this.client.storageAccounts.update('rg-weights', name, { allowBlobPublicAccess: false });
    this.armCalls++;
    const key = randomUUID();
    await createDoc(state, { id: `audit-key:bench-floor-${key}`, keyHash: key, createdAt: at });
    await createDoc(this.stack.containers.audit, { id: `bench-floor:${key}`, chainId: 'bench-floor', seq: 0, at, action: 'guardrail.remediated', actor: { id: PEOPLE.dave }, reason: 'floor'.repeat(20) });
    await replaceDoc(state, withPatch(withClosed(intentDoc, 'allowBlobPublicAccess', 0, at), at, ['allowBlobPublicAccess']), intent.etag, id);
  }
}

async function costAndFloor(stack: LocalStack, samples: number): Promise<Record<Kind, { am: Sample[]; floor: Sample[] }>> {
  const noLog = () => undefined;
  const floor = new Floor(stack);
  const warmUp = Math.min(20, samples);
  const amAccounts = addAccounts(stack, samples + warmUp, 'c');
  const floorAccounts = addAccounts(stack, samples + warmUp, 'f');
  const out: Record<Kind, { am: Sample[]; floor: Sample[] }> = { remediated: { am: [], floor: [] }, ownWrite: { am: [], floor: [] }, compliant: { am: [], floor: [] } };
  const setPublic = (id: string) => {
    const r = stack.sim.state.resources.get(scopeKey(id))!;
    stack.sim.state.resources.set(scopeKey(id), { ...r, properties: { ...r.properties, allowBlobPublicAccess: true } });
  };
  // Events are handed to the use case in-process, and the simulator's own events are off, so
  // only the event being measured runs.
  stack.sim.knobs.emitEvents = false;
  try {
    // Steady state of a long-running instance: the read path warmed (JIT, connections) on an account of its own.
    const [warmAm, warmFloor] = [addAccounts(stack, 1, 'wa')[0]!, addAccounts(stack, 1, 'wf')[0]!];
    for (let i = 0; i < 300; i++) {
      await handleArmEvent(stack.deps, writeEvent(warmAm, PEOPLE.dave), noLog);
      await floor.run('compliant', warmFloor);
    }
    for (let i = 0; i < samples + warmUp; i++) {
      const am = amAccounts[i]!;
      const fl = floorAccounts[i]!;
      const keep = i >= warmUp;
      // Interleaved, and in alternating order, so drift of the machine or the store (and whatever
      // the previous write left it doing) hits AccessManager and the floor alike.
      const pairs: Array<[Kind, () => Promise<Sample>, () => Promise<Sample>]> = [
        [
          'remediated',
          () => {
            setPublic(am);
            return measure(() => handleArmEvent(stack.deps, writeEvent(am, PEOPLE.dave), noLog));
          },
          () => {
            setPublic(fl);
            return measure(() => floor.run('remediated', fl), () => floor.armCalls);
          },
        ],
        ['ownWrite', () => measure(() => handleArmEvent(stack.deps, writeEvent(am, PEOPLE.accessManager), noLog)), () => measure(() => floor.run('ownWrite', fl), () => floor.armCalls)],
        ['compliant', () => measure(() => handleArmEvent(stack.deps, writeEvent(am, PEOPLE.dave), noLog)), () => measure(() => floor.run('compliant', fl), () => floor.armCalls)],
      ];
      for (const [kind, runAm, runFloor] of pairs) {
        let a: Sample;
        let f: Sample;
        if (i % 2 === 0) {
          a = await runAm();
          f = await runFloor();
        } else {
          f = await runFloor();
          a = await runAm();
        }
        if (!keep) continue;
        out[kind].am.push(a);
        out[kind].floor.push(f);
      }
    }
  } finally {
    stack.sim.knobs.emitEvents = true;
  }
  for (const id of amAccounts) if (stack.sim.state.resources.get(scopeKey(id))!.properties['allowBlobPublicAccess'] !== false) throw new Error(`${id} was not remediated`);
  return out;
}

export async function benchGuardrails(options: BenchGuardrailOptions): Promise<Figures> {
  const stack = await startLocalStack({ port: 0, simPort: 0, cosmosPort: 0, notifier: new RecordingNotifier(), instrument: instrumentation });
  try {
    const accounts = addAccounts(stack, options.changes, 't');
    // Warm-up: clients, connections, the first documents.
    await timeToRemediate(stack, addAccounts(stack, 10, 'w'));
    const timed = await timeToRemediate(stack, accounts);
    const timeToRemediateFigures = {
      changes: timed.samples.length,
      p50Ms: percentile(timed.samples, 50),
      p99Ms: percentile(timed.samples, 99),
      maxMs: percentile(timed.samples, 100),
      meanMs: round(mean(timed.samples)),
      wallSeconds: round(timed.wallMs / 1000, 1),
    };
    options.log(`guardrails time-to-remediate: ${JSON.stringify(timeToRemediateFigures)}`);
    const cost = await costAndFloor(stack, options.costSamples);
    const costPerEvent: Figures = {};
    for (const [kind, run] of Object.entries(cost)) {
      const amMs = mean(run.am.map((s) => s.ms));
      const floorMs = mean(run.floor.map((s) => s.ms));
      costPerEvent[kind] = {
        storeOps: percentile(run.am.map((s) => s.storeOps), 50),
        armCalls: percentile(run.am.map((s) => s.armCalls), 50),
        floorStoreOps: percentile(run.floor.map((s) => s.storeOps), 50),
        floorArmCalls: percentile(run.floor.map((s) => s.armCalls), 50),
        msMean: round(amMs),
        floorMsMean: round(floorMs),
        ratioToFloor: round(amMs / floorMs),
        ratioToFloorP50: round(percentile(run.am.map((s) => s.ms), 50) / percentile(run.floor.map((s) => s.ms), 50)),
        samples: run.am.length,
      };
    }
    options.log(`guardrails cost per event: ${JSON.stringify(costPerEvent)}`);
    return { timeToRemediate: timeToRemediateFigures, costPerEvent };
  } finally {
    await stack.stop();
  }
}
