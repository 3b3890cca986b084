/**
 * The policy model after loading: what a policy file means once every role is resolved and
 * every duration is measured. Object ids are lower-cased so comparisons are plain equality.
 */

import type { GuardrailPolicy } from '../guardrails/types';

/** `enforce` revokes what no grant or exemption covers; `audit` only records what it would revoke. */
export type PolicyMode = 'enforce' | 'audit';

/**
 * `rigid`: only the listed roles, within their limits. `flexible`: anything else becomes an
 * exception request with stricter approval and a shorter cap (see `exceptionTerms`).
 */
export type PolicyKind = 'rigid' | 'flexible';

export type ApprovalChannel = 'teams' | 'web';

/**
 * What a request's stated need does. `advise` (default): the need is optional and approvers see
 * the requested role beside the narrowest role that covers it. `require`: every new request must
 * state its need as operations, the role must cover it, and a role broader than the narrowest one
 * the policy lets one request needs one more approval and a justification.
 */
export type NarrowestRule = 'advise' | 'require';

/** Who may approve: members (transitively) of any group, or any listed user. Object ids. */
export interface Approvers {
  groups: string[];
  users: string[];
}

export interface JustificationRule {
  required: boolean;
  /** A JavaScript regular expression the justification must match (searched, not anchored). */
  pattern?: string;
  minLength?: number;
}

/** One requestable role of a policy. */
export interface PolicyRole {
  /** The role as the policy file names it (display name, GUID or full id). */
  role: string;
  /** Lower-case GUID of the built-in role definition. */
  roleDefinitionGuid: string;
  /** Display name of the built-in role. */
  roleName: string;
  /** Canonical ISO 8601 form, e.g. `PT8H`. */
  maxDuration: string;
  maxDurationMs: number;
  minDuration?: string;
  minDurationMs?: number;
  /** Distinct approvals needed. */
  approvals: number;
  approvers: Approvers;
  justification: JustificationRule;
  renewable: boolean;
  approvalChannel: ApprovalChannel;
}

export interface PrincipalExemption {
  /** Object id of the user, group or service principal, lower-cased. */
  id: string;
  reason: string;
}

/** A standing role assignment the enforcer must leave alone, by name (its GUID) and/or full id. */
export interface AssignmentExemption {
  /** Lower-case assignment name (GUID); always set, taken from `id` when only the id is given. */
  name: string;
  /** Full role assignment id when the policy pins the scope too. */
  id?: string;
  reason: string;
}

export interface Exemptions {
  principals: PrincipalExemption[];
  assignments: AssignmentExemption[];
}

/** The blast-radius breaker: more revocations than this inside the window switch the policy to audit. */
export interface BreakerSettings {
  maxRevocations: number;
  window: string;
  windowMs: number;
}

export interface TeamsChannel {
  teamId: string;
  channelId: string;
}

export interface Policy {
  id: string;
  description: string;
  /** The ARM scope whose subtree this policy governs, normalized (case as written). */
  scope: string;
  mode: PolicyMode;
  kind: PolicyKind;
  roles: PolicyRole[];
  /** Only on flexible policies: who approves exception requests, and (optionally) which roles may be one. */
  exception?: { approvers: Approvers; roles?: Array<{ roleDefinitionGuid: string; roleName: string }> };
  /** How long a request may wait for approvals before it times out. */
  pendingRequestTtl: string;
  pendingRequestTtlMs: number;
  exemptions: Exemptions;
  breaker: BreakerSettings;
  notify?: { teamsChannel?: TeamsChannel };
  narrowest: NarrowestRule;
  /** Required settings of the storage accounts and key vaults in scope (see shared/domain/guardrails). */
  guardrails?: GuardrailPolicy;
  /** The file the policy was read from, for messages and audit. */
  source: string;
}

/** What an exception request under a flexible policy needs; see `exceptionTerms`. */
export interface ExceptionTerms {
  /** Lower-case GUIDs of the roles allowed as exceptions; undefined: any role that is not privileged. */
  roles?: string[];
  approvals: number;
  approvers: Approvers;
  maxDurationMs: number;
  maxDuration: string;
}
