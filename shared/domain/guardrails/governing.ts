/**
 * Which policy's guardrails apply to a storage account or vault: the most specific policy whose
 * scope contains it AND that says something about that kind of resource. A narrower policy that
 * only lists roles therefore never switches off the guardrails of the policy above it.
 */
import type { PolicySet } from '../policy/policySet';
import type { Policy } from '../policy/types';
import type { GuardedResourceKind } from './properties';
import type { GuardrailPolicy, GuardrailRule, SecretRules } from './types';

export interface GoverningGuardrails {
  policy: Policy;
  guardrails: GuardrailPolicy;
  rules: GuardrailRule[];
  mode: 'enforce' | 'audit';
}

function rulesOf(guardrails: GuardrailPolicy, kind: GuardedResourceKind): GuardrailRule[] | undefined {
  return kind === 'storageAccount' ? guardrails.storageAccounts : guardrails.keyVaults;
}

export function governingGuardrails(policies: Pick<PolicySet, 'governingChain'>, resourceId: string, kind: GuardedResourceKind): GoverningGuardrails | undefined {
  for (const policy of policies.governingChain(resourceId)) {
    const guardrails = policy.guardrails;
    const rules = guardrails ? rulesOf(guardrails, kind) : undefined;
    if (guardrails && rules) return { policy, guardrails, rules, mode: guardrails.mode ?? policy.mode };
  }
  return undefined;
}

/** The secret rules for a vault: the most specific policy that has some. */
export function governingSecretRules(policies: Pick<PolicySet, 'governingChain'>, vaultId: string): { policy: Policy; secrets: SecretRules } | undefined {
  for (const policy of policies.governingChain(vaultId)) {
    if (policy.guardrails?.secrets) return { policy, secrets: policy.guardrails.secrets };
  }
  return undefined;
}

/** The blob event types to record for an account: the most specific policy that names some. */
export function watchedBlobEvents(policies: Pick<PolicySet, 'governingChain'>, accountId: string): { policy: Policy; types: string[] } | undefined {
  for (const policy of policies.governingChain(accountId)) {
    if (policy.guardrails && policy.guardrails.watchBlobEvents.length > 0) return { policy, types: policy.guardrails.watchBlobEvents };
  }
  return undefined;
}

/** Every policy scope with guardrails for `kind`, broadest first: what reconcile lists. */
export function guardedScopes(policies: Pick<PolicySet, 'policies'>, kind: GuardedResourceKind): string[] {
  return policies.policies.filter((p) => p.guardrails && rulesOf(p.guardrails, kind)).map((p) => p.scope);
}
