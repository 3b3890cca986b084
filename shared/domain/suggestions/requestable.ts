/**
 * Whether the policy that governs a scope lets a role be requested there: listed by the policy,
 * or (under a flexible policy) as an exception. Only roles AccessManager knows by name can be
 * requested at all (shared/domain/roles.ts); any other role in ARM's catalog is shown, never requestable.
 */
import { exceptionTerms, findPolicyRole, type PolicySet } from '../policy/policySet';
import { findBuiltInRole } from '../roles';

export interface Requestability {
  requestable: boolean;
  /** The policy that governs the scope, if any. */
  policyId?: string;
  /** Requestable only as an exception (stricter approval, shorter cap). */
  asException?: boolean;
}

export function requestability(policies: PolicySet, roleGuid: string, scope: string): Requestability {
  const policy = policies.governing(scope);
  if (!policy) return { requestable: false };
  if (!findBuiltInRole(roleGuid)) return { requestable: false, policyId: policy.id };
  if (findPolicyRole(policy, roleGuid.toLowerCase())) return { requestable: true, policyId: policy.id };
  if (exceptionTerms(policy)) return { requestable: true, policyId: policy.id, asException: true };
  return { requestable: false, policyId: policy.id };
}
