/**
 * What `GET /api/health` reports. `status` is `degraded` whenever enforcement cannot do its job:
 * the store or ARM does not answer, AccessManager lacks its permission at a governed scope (asked
 * of ARM's permissions API, not inferred from a call that did not fail), or a blast-radius
 * breaker is tripped, or another automation fights a guardrail so that a setting is no longer
 * fixed. Each reason is one entry in `problems`.
 *
 * The endpoint is anonymous: `forAnyone` keeps the codes and counts and drops what would tell an
 * outsider where enforcement is weak (the scopes AccessManager cannot act at, the policies whose
 * breaker is tripped, dependency error texts). Admins get the full report.
 */
import type { Deps } from '../ports/deps';
import { contestedGuardrails } from './guardrails';
import { checkSelfAccess, SELF_ACCESS_CACHE_MS } from './selfAccess';

export interface DependencyHealth {
  ok: boolean;
  ms: number;
  error?: string;
}

export interface HealthProblem {
  code: 'StoreUnavailable' | 'ArmUnavailable' | 'SelfAccessLost' | 'BreakerTripped' | 'GuardrailContested';
  message: string;
}

export interface HealthReport {
  status: 'ok' | 'degraded';
  problems: HealthProblem[];
  mode: 'local' | 'azure';
  store: DependencyHealth;
  arm: DependencyHealth;
  /** How many policies are loaded. Which scopes are in audit mode is not said here: the endpoint is anonymous. */
  policies: number;
  /** AccessManager's own permission at every governed scope (`missing` and `lostSince` for admins only). */
  selfAccess: { ok: boolean; missing?: Array<{ scope: string; actions: string[] }>; lostSince?: string };
  /** Policies whose breaker is tripped (standing access there is only recorded until an admin resets it). Admins only. */
  trippedBreakers?: Array<{ policyId: string; trippedAt?: string }>;
  /**
   * How many storage account or vault settings AccessManager stopped fixing because another
   * automation fights it (each was recorded and alerted; which ones is for admins, in the audit
   * trail). Absent when the store could not say.
   */
  contestedGuardrails?: number;
}

const message = (err: unknown) => (err instanceof Error ? (err.message.split('\n')[0] ?? '') : String(err));

async function probe<T>(check: () => Promise<T>): Promise<{ health: DependencyHealth; value?: T }> {
  const started = performance.now();
  try {
    const value = await check();
    return { health: { ok: true, ms: Math.round(performance.now() - started) }, value };
  } catch (err) {
    return { health: { ok: false, ms: Math.round(performance.now() - started), error: message(err) } };
  }
}

export async function checkHealth(deps: Deps): Promise<HealthReport> {
  // One ARM call on every request proves ARM answers; the full permission check (one call per
  // governed scope) is reused for a few seconds, since anyone can call this endpoint.
  const broadest = deps.policies.topScopes()[0];
  const [store, reachable] = await Promise.all([probe(() => deps.pingStore()), probe(async () => (broadest ? deps.roleAssignments.permissionsAt(broadest) : undefined))]);
  const arm = reachable.health.ok ? await probe(() => checkSelfAccess(deps, { maxAgeMs: SELF_ACCESS_CACHE_MS, noticedWhile: 'answering a health check' })) : reachable;
  const problems: HealthProblem[] = [];
  if (!store.health.ok) problems.push({ code: 'StoreUnavailable', message: `The store does not answer: ${store.health.error}` });
  if (!arm.health.ok) problems.push({ code: 'ArmUnavailable', message: `Azure Resource Manager does not answer: ${arm.health.error}` });
  const self = reachable.health.ok ? (arm.value as Awaited<ReturnType<typeof checkSelfAccess>> | undefined) : undefined;
  if (self && !self.ok) {
    problems.push({ code: 'SelfAccessLost', message: `AccessManager lacks ${self.missing.map((m) => `${m.actions.join(', ')} at ${m.scope}`).join('; ')}: it cannot grant or revoke there.` });
  }
  const tripped: HealthReport['trippedBreakers'] = [];
  if (store.health.ok) {
    for (const policy of deps.policies.policies) {
      const state = await deps.breakers.read(policy.id).catch(() => undefined);
      if (state?.tripped) tripped.push({ policyId: policy.id, ...(state.trippedAt ? { trippedAt: state.trippedAt } : {}) });
    }
  }
  for (const t of tripped) {
    problems.push({ code: 'BreakerTripped', message: `The blast-radius breaker of policy ${t.policyId} tripped${t.trippedAt ? ` at ${t.trippedAt}` : ''}: standing access there is only recorded until an admin resets it (new unapproved assignments are still revoked).` });
  }
  const contested = store.health.ok ? await contestedGuardrails(deps).then((c) => c.length).catch(() => undefined) : undefined;
  if (contested) {
    problems.push({ code: 'GuardrailContested', message: `${contested} storage account or vault setting${contested === 1 ? ' is' : 's are'} no longer fixed: another automation changes ${contested === 1 ? 'it' : 'them'} back (guardrail.contested in the audit trail).` });
  }
  return {
    status: problems.length === 0 ? 'ok' : 'degraded',
    problems,
    mode: deps.config.ACCESSMANAGER_ENV,
    store: store.health,
    arm: arm.health,
    policies: deps.policies.policies.length,
    selfAccess: self ? { ok: self.ok, ...(self.ok ? {} : { missing: self.missing, lostSince: self.lostSince }) } : { ok: false },
    trippedBreakers: tripped,
    ...(contested !== undefined ? { contestedGuardrails: contested } : {}),
  };
}

const PUBLIC_MESSAGES: Record<HealthProblem['code'], string> = {
  StoreUnavailable: 'The store does not answer.',
  ArmUnavailable: 'Azure Resource Manager does not answer.',
  SelfAccessLost: 'AccessManager lacks a permission it needs at a governed scope.',
  BreakerTripped: 'A blast-radius breaker is tripped.',
  GuardrailContested: '',
};

/** The report as anyone may see it: codes, counts and latencies; no scope, policy or error text. */
export function forAnyone(report: HealthReport): HealthReport {
  const tripped = report.trippedBreakers?.length ?? 0;
  const seen = new Set<string>();
  const problems: HealthProblem[] = [];
  for (const p of report.problems) {
    if (seen.has(p.code)) continue;
    seen.add(p.code);
    const message = p.code === 'GuardrailContested' ? p.message : p.code === 'BreakerTripped' && tripped > 1 ? `${tripped} blast-radius breakers are tripped.` : PUBLIC_MESSAGES[p.code];
    problems.push({ code: p.code, message });
  }
  const { trippedBreakers: _tripped, ...rest } = report;
  const dependency = ({ error: _error, ...d }: DependencyHealth): DependencyHealth => d;
  return { ...rest, problems, store: dependency(report.store), arm: dependency(report.arm), selfAccess: { ok: report.selfAccess.ok } };
}
