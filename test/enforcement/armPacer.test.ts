/**
 * The ARM pacer (shared/adapters/arm/armPacer) against a token bucket that behaves as ARM's
 * (budget header on every answer, 429 + Retry-After when empty), on a virtual clock so the test
 * takes no time: background work (reconcile, expiry) leaves a reserve of the delete budget, so
 * event enforcement's revocations are never refused; every refused call is retried (as the SDK's
 * retry policy does after Retry-After) and none is lost.
 */
import { createHttpHeaders, createPipelineRequest, type PipelineRequest, type PipelineResponse } from '@azure/core-rest-pipeline';
import { ArmPacer } from '../../shared/adapters/arm/armPacer';

class VirtualTime {
  now = 0;
  private timers: Array<{ at: number; resolve: () => void }> = [];
  sleep = (ms: number): Promise<void> => new Promise((resolve) => this.timers.push({ at: this.now + Math.max(ms, 1), resolve }));
  /** Runs until `work` settles, jumping from timer to timer whenever everything else waits. */
  async run<T>(work: Promise<T>): Promise<T> {
    let done = false;
    void work.finally(() => (done = true)).catch(() => undefined);
    while (!done) {
      await new Promise((resolve) => setImmediate(resolve));
      if (done || this.timers.length === 0) continue;
      this.timers.sort((a, b) => a.at - b.at);
      const next = this.timers.shift()!;
      this.now = Math.max(this.now, next.at);
      next.resolve();
    }
    return work;
  }
}

/** ARM's delete bucket for one subscription and caller: `burst` tokens, 10 per second. */
function armDeletes(time: VirtualTime, burst: number) {
  let tokens = burst;
  let at = 0;
  const refused = { urgent: 0, background: 0 };
  const send = async (request: PipelineRequest): Promise<PipelineResponse> => {
    tokens = Math.min(burst, tokens + ((time.now - at) / 1000) * 10);
    at = time.now;
    await time.sleep(5); // the call's own latency
    const ok = tokens >= 1;
    if (ok) tokens -= 1;
    else refused[request.headers.get('x-priority') as 'urgent' | 'background'] += 1;
    const headers = createHttpHeaders({ 'x-ms-ratelimit-remaining-subscription-deletes': String(Math.floor(tokens)) });
    if (!ok) headers.set('retry-after', '1');
    return { request, status: ok ? 200 : 429, headers };
  };
  return { send, refused };
}

it('revocations are never refused while a background sweep spends the delete budget; every refused call is retried', async () => {
  const time = new VirtualTime();
  const pacer = new ArmPacer(() => time.now, time.sleep);
  const arm = armDeletes(time, 20);
  const policy = pacer.policy();
  let retried = 0;
  // As the SDK does: the pacer runs per attempt; a 429 is retried after Retry-After.
  const del = async (id: number, priority: 'urgent' | 'background'): Promise<void> => {
    for (;;) {
      const request = createPipelineRequest({ url: `https://management.azure.com/subscriptions/s1/providers/Microsoft.Authorization/roleAssignments/${id}`, method: 'DELETE' });
      request.headers.set('x-priority', priority);
      const response = await policy.sendRequest(request, arm.send);
      if (response.status !== 429) return;
      retried++;
      await time.sleep(1000);
    }
  };
  const done = { urgent: 0, background: 0 };
  const sweep = pacer.background(async () => {
    const ids = Array.from({ length: 60 }, (_, i) => i);
    const worker = async () => {
      for (let id = ids.shift(); id !== undefined; id = ids.shift()) {
        await del(id, 'background');
        done.background++;
      }
    };
    await Promise.all([worker(), worker(), worker(), worker()]);
  });
  const events = (async () => {
    await time.sleep(1500); // the sweep has spent its share by now
    await Promise.all(Array.from({ length: 8 }, async (_, i) => {
      await del(1000 + i, 'urgent');
      done.urgent++;
    }));
  })();
  await time.run(Promise.all([sweep, events]));

  expect(done).toEqual({ urgent: 8, background: 60 });
  expect(arm.refused.urgent).toBe(0);
  expect(pacer.stats.throttled).toBe(arm.refused.background);
  expect(retried).toBe(arm.refused.background);
  expect(pacer.stats.sent.urgent.deletes).toBe(8);
  expect(pacer.stats.sent.background.deletes).toBe(60 + retried);
  // The sweep waited for its budget instead of spending the reserve.
  expect(pacer.stats.held).toBeGreaterThan(0);
});
