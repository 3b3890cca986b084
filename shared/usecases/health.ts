/** What `GET /api/health` reports: mode, and whether the store and ARM answer, with latencies. */
import type { Deps } from '../ports/deps';
import { contestedGuardrails } from './guardrails';

export interface DependencyHealth {
  ok: boolean;
  ms: number;
  error?: string;
}

export interface HealthReport {
  status: 'ok' | 'degraded';
  mode: 'local' | 'azure';
  store: DependencyHealth;
  arm: DependencyHealth;
  /** How many policies are loaded. Which scopes are in audit mode is not said here: the endpoint is anonymous. */
  policies: number;
  /**
   * How many storage account or vault settings AccessManager stopped fixing because another
   * automation fights it (each was recorded and alerted; which ones is for admins, in the audit
   * trail). Absent when the store could not say.
   */
  contestedGuardrails?: number;
}

async function probe(check: () => Promise<unknown>): Promise<DependencyHealth> {
  const started = performance.now();
  try {
    await check();
    return { ok: true, ms: Math.round(performance.now() - started) };
  } catch (err) {
    return { ok: false, ms: Math.round(performance.now() - started), error: err instanceof Error ? err.message.split('\n')[0] : String(err) };
  }
}

export async function checkHealth(deps: Deps): Promise<HealthReport> {
  const [store, arm] = await Promise.all([
    probe(() => deps.pingStore()),
    // Our own standing assignment is the cheapest read that proves ARM answers and accepts our identity.
    probe(async () => {
      for await (const page of deps.roleAssignments.listForScope(`/subscriptions/${deps.config.AZURE_SUBSCRIPTION_ID}`, { principalId: deps.appPrincipalId, atScopeOnly: true })) {
        return page;
      }
      return [];
    }),
  ]);
  const contested = store.ok ? await contestedGuardrails(deps).then((c) => c.length).catch(() => undefined) : undefined;
  return {
    status: store.ok && arm.ok ? 'ok' : 'degraded',
    mode: deps.config.ACCESSMANAGER_ENV,
    store,
    arm,
    policies: deps.policies.policies.length,
    ...(contested !== undefined ? { contestedGuardrails: contested } : {}),
  };
}
