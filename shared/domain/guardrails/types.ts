/**
 * The guardrails section of a policy after loading: the settings each storage account and key
 * vault in the policy's scope must have, how a deviation is handled, the rules for secrets,
 * who approves exceptions, and when AccessManager stops fighting another automation.
 */
import type { GuardedResourceKind } from './properties';

/** `auto`: AccessManager changes the setting back (when that is safe); `alert`: it records and alerts, a human decides. */
export type Remediation = 'auto' | 'alert';

export interface GuardrailRule {
  kind: GuardedResourceKind;
  /** The ARM wire name (`allowSharedKeyAccess`, `networkAcls.defaultAction`, ...). */
  property: string;
  /** The required value. */
  value: string | boolean;
  remediate: Remediation;
  /** Alerts say so in their subject (e.g. a vault left in access-policy mode). */
  urgent: boolean;
}

/** Object ids, lower-cased (the same shape as a policy's approvers). */
export interface GuardrailPeople {
  groups: string[];
  users: string[];
}

export interface SecretRules {
  /** A secret must expire no later than this after it was created (canonical ISO 8601). */
  maxAge: string;
  maxAgeMs: number;
  /** Who hears that a secret is about to expire (the vault's owners). */
  owners: GuardrailPeople;
}

export interface GuardrailExceptionTerms {
  approvals: number;
  approvers: GuardrailPeople;
  maxDuration: string;
  maxDurationMs: number;
}

/**
 * Another automation (Azure Policy Modify, IaC, a script) may set a property back each time it is
 * fixed. After `maxRemediations` fixes of one property within `window`, AccessManager stops,
 * records `guardrail.contested` and alerts once; it tries again after `holdOff`.
 */
export interface FightSettings {
  maxRemediations: number;
  window: string;
  windowMs: number;
  holdOff: string;
  holdOffMs: number;
}

export interface GuardrailPolicy {
  /** Defaults to the policy's mode; `audit` records `guardrail.wouldRemediate` instead of changing anything. */
  mode?: 'enforce' | 'audit';
  /** Absent: this policy says nothing about storage accounts (a policy above it may). */
  storageAccounts?: GuardrailRule[];
  keyVaults?: GuardrailRule[];
  secrets?: SecretRules;
  /** Absent: no exceptions may be requested under this policy. */
  exceptions?: GuardrailExceptionTerms;
  fight: FightSettings;
  /** Storage blob event types (`Microsoft.Storage.BlobDeleted`, ...) recorded in the audit trail. */
  watchBlobEvents: string[];
}
