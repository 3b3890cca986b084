/**
 * THE rule that decides, setting by setting, what happens to a storage account or key vault
 * read back from ARM: nothing (it complies, or an approved exception allows its value), a fix
 * (a PATCH of the offending settings only), a record of what would be fixed (audit mode), an
 * alert for a human, or a stop because another automation keeps setting it back. Pure: the use
 * case reads the resource and the state, calls this, and acts on the verdicts.
 *
 * Fail safe and loop safe, in this order: a setting AccessManager itself just patched is never
 * judged on the event of that patch (the other writer's event judges it); a complying setting
 * needs nothing; an exception allows exactly its value; a contested setting is left alone until
 * its hold-off ends; only `remediate: auto` settings that are safe to change are changed (never
 * shared keys or the RBAC model; public network and firewall only with an approved private
 * endpoint); after too many fixes of one setting in a short time the fight stops.
 */
import { scopeKey } from '../armIds';
import { complies, effectiveValue, guardedProperty, showValue, type GuardedResourceKind, type PropertyValue } from './properties';
import { activeExceptions, propertyState, recentlyPatched, type GuardrailState, type OpenAction } from './state';
import type { FightSettings, GuardrailRule } from './types';

/** A storage account or vault as read from ARM (never from the event). */
export interface ResourceView {
  id: string;
  kind: GuardedResourceKind;
  /** Every guarded setting of its kind by wire name; null when unset. */
  values: Readonly<Record<string, PropertyValue>>;
  /** An approved private endpoint connection exists: private clients keep working when the public door closes. */
  approvedPrivateEndpoint: boolean;
}

export interface GoverningView {
  policyId: string;
  mode: 'enforce' | 'audit';
  rules: readonly GuardrailRule[];
  fight: FightSettings;
}

export interface GuardrailDecisionInput {
  resource: ResourceView;
  governing: GoverningView;
  state: GuardrailState | undefined;
  /** The event's caller is AccessManager's own identity. */
  byApp: boolean;
  now: Date;
}

export type Outcome =
  | 'compliant'
  | 'confirmed'
  | 'excepted'
  | 'ownWrite'
  | 'remediate'
  | 'wouldRemediate'
  | 'violation'
  | 'contested'
  | 'held'
  | 'alreadyRecorded';

export interface Verdict {
  property: string;
  outcome: Outcome;
  required: string | boolean;
  /** As read (null: unset). */
  observed: PropertyValue;
  /** The episode this verdict belongs to (see state.ts). */
  episode: number;
  /** For records: why, in words. */
  reason: string;
  /** Idempotency key of the audit record this verdict makes (and of its alert). */
  key?: string;
  urgent: boolean;
  /** `compliant` closing a recorded deviation, or `confirmed`: the state document changes. */
  closes?: boolean;
  /** `confirmed`: the action recorded late (a fix of ours that landed before its record did). */
  exceptionId?: string;
}

export interface GuardrailDecision {
  verdicts: Verdict[];
  /** The settings to PATCH and their values (the `remediate` verdicts). */
  patch: Array<{ property: string; value: string | boolean }>;
}

/** The JSON form of a value, as state and keys keep it. */
export function valueKey(value: PropertyValue): string {
  return JSON.stringify(value);
}

/** Idempotency key of what a verdict records: per resource, setting, value seen and episode. */
export function verdictKey(action: string, resourceId: string, property: string, observed: PropertyValue, episode: number): string {
  return `guardrail.${action}:${scopeKey(resourceId)}:${property}:${valueKey(observed)}:${episode}`;
}

/** Why an `auto` setting is not changed automatically right now; undefined when it may be. */
function notSafeReason(rule: GuardrailRule, resource: ResourceView): string | undefined {
  const property = guardedProperty(rule.kind, rule.property);
  if (!property) return 'AccessManager does not know this setting';
  if (rule.remediate === 'alert') return `the policy asks for an alert (remediate: alert): a human decides`;
  if (property.humanOnly) return property.humanOnly;
  if (property.needsPrivateEndpoint && !resource.approvedPrivateEndpoint) {
    return `no approved private endpoint: changing ${property.label} now would cut off every client, so a human decides`;
  }
  return undefined;
}

function recentFixes(remediations: readonly string[], now: Date, windowMs: number): number {
  const since = now.getTime() - windowMs;
  return remediations.filter((at) => Date.parse(at) >= since).length;
}

export function decideGuardrails(input: GuardrailDecisionInput): GuardrailDecision {
  const { resource, governing, state, now } = input;
  const ours = input.byApp ? recentlyPatched(state, now) : new Set<string>();
  const exceptions = activeExceptions(state, now);
  const verdicts: Verdict[] = [];
  const patch: GuardrailDecision['patch'] = [];

  for (const rule of governing.rules) {
    const property = guardedProperty(rule.kind, rule.property);
    if (!property || rule.kind !== resource.kind) continue;
    const observed = resource.values[rule.property] ?? null;
    const ps = propertyState(state, rule.property);
    const base = { property: rule.property, required: rule.value, observed, episode: ps.episode, urgent: rule.urgent };
    const label = property.label;
    const said = `${label} is ${showValue(observed)}; policy ${governing.policyId} requires ${String(rule.value)}`;
    const verdict = (outcome: Outcome, reason: string, extra: Partial<Verdict> = {}): void => {
      verdicts.push({ ...base, outcome, reason, ...extra });
    };

    if (ours.has(rule.property)) {
      verdict('ownWrite', `AccessManager itself set ${label} moments ago: this is the event of its own write`);
      continue;
    }
    // Access policies only matter in RBAC mode (where they do nothing until RBAC is switched off);
    // in access-policy mode they ARE the permissions, and the RBAC rule raises the alarm instead.
    const applies = rule.property !== 'accessPolicies' || effectiveValue(guardedProperty('keyVault', 'enableRbacAuthorization')!, resource.values['enableRbacAuthorization'] ?? null) === true;
    if (!applies || complies(property, rule.value, observed)) {
      if (ps.open?.action === 'remediate') {
        verdict('confirmed', `${label} set back to ${String(rule.value)} (policy ${governing.policyId}; confirmed on a later read)`, {
          key: verdictKey('remediated', resource.id, rule.property, JSON.parse(ps.open.value) as PropertyValue, ps.episode),
          closes: true,
          observed: JSON.parse(ps.open.value) as PropertyValue,
        });
      } else {
        verdict('compliant', applies ? `${label} complies` : 'not in RBAC mode: access policies are the permission model here', { closes: ps.open !== undefined });
      }
      continue;
    }
    const exception = exceptions.find((e) => e.property === rule.property && e.allowedValue === effectiveValue(property, observed));
    if (exception) {
      verdict('excepted', `${said}; exception ${exception.id} allows ${String(exception.allowedValue)} until ${exception.expiresAt}`, { exceptionId: exception.id });
      continue;
    }
    if (ps.contestedUntil && now.getTime() < Date.parse(ps.contestedUntil)) {
      verdict('held', `${said}; contested: not remediated again before ${ps.contestedUntil}`);
      continue;
    }
    const unsafe = notSafeReason(rule, resource);
    const action: OpenAction = unsafe ? 'violation' : governing.mode === 'audit' ? 'wouldRemediate' : 'remediate';
    if (action !== 'remediate') {
      if (ps.open?.action === action && ps.open.value === valueKey(observed)) {
        verdict('alreadyRecorded', `${said}; already recorded`);
        continue;
      }
      const why = action === 'violation' ? `${said}: ${unsafe}` : `${said}; audit mode: would set it to ${String(rule.value)}`;
      verdict(action, why, { key: verdictKey(action, resource.id, rule.property, observed, ps.episode) });
      continue;
    }
    const resumed = ps.open?.action === 'remediate' && ps.open.value === valueKey(observed);
    if (!resumed && recentFixes(ps.remediations, now, governing.fight.windowMs) >= governing.fight.maxRemediations) {
      verdict(
        'contested',
        `${said}; it was set back ${governing.fight.maxRemediations} times within ${governing.fight.window} and changed again: another automation is fighting it, so AccessManager stops for ${governing.fight.holdOff}`,
        { key: verdictKey('contested', resource.id, rule.property, observed, ps.episode) },
      );
      continue;
    }
    verdict('remediate', `${said}: set back to ${String(rule.value)}`, { key: verdictKey('remediated', resource.id, rule.property, observed, ps.episode) });
    patch.push({ property: rule.property, value: rule.value });
  }
  return { verdicts, patch };
}

/** The verdicts that change the state document before anything is done in Azure. */
export function changesState(verdict: Verdict): boolean {
  return verdict.closes === true || ['remediate', 'wouldRemediate', 'violation', 'contested'].includes(verdict.outcome);
}
