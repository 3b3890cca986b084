/**
 * What can be requested, and on what terms: the policies seen from a requester's side (the
 * portal's request form, the Teams request card, `GET /api/catalog`). Only what a requester
 * needs: scopes, roles and their limits. Who approves (group ids), exemptions and enforcement
 * modes stay out, since any signed-in person may read this.
 */
import { scopeDepth } from '../armIds';
import { exceptionTerms } from './policySet';
import type { ApprovalChannel, Policy, PolicyKind } from './types';

export interface CatalogRole {
  roleName: string;
  roleDefinitionGuid: string;
  /** ISO 8601, e.g. `PT8H`. */
  maxDuration: string;
  maxDurationMs: number;
  minDuration?: string;
  minDurationMs?: number;
  /** Distinct approvals needed. */
  approvals: number;
  justificationRequired: boolean;
  justificationMinLength?: number;
  /** `web`: approvers decide in the browser (step-up), not from Teams. */
  approvalChannel: ApprovalChannel;
  renewable: boolean;
}

export interface CatalogEntry {
  policyId: string;
  description: string;
  /** The ARM scope the policy governs; a request may name it or any scope inside it. */
  scope: string;
  /** `flexible`: other roles (or longer durations) may be asked for as an exception. */
  kind: PolicyKind;
  roles: CatalogRole[];
  /** Flexible policies: what an exception request needs. */
  exception?: { approvals: number; maxDuration: string; maxDurationMs: number };
}

function catalogRole(role: Policy['roles'][number]): CatalogRole {
  return {
    roleName: role.roleName,
    roleDefinitionGuid: role.roleDefinitionGuid,
    maxDuration: role.maxDuration,
    maxDurationMs: role.maxDurationMs,
    ...(role.minDuration !== undefined && role.minDurationMs !== undefined ? { minDuration: role.minDuration, minDurationMs: role.minDurationMs } : {}),
    approvals: role.approvals,
    justificationRequired: role.justification.required,
    ...(role.justification.minLength !== undefined ? { justificationMinLength: role.justification.minLength } : {}),
    approvalChannel: role.approvalChannel,
    renewable: role.renewable,
  };
}

/** Every policy with something to request, widest scope first (then by scope), roles by name. */
export function requestableCatalog(policies: readonly Policy[]): CatalogEntry[] {
  return policies
    .filter((p) => p.roles.length > 0)
    .map((p): CatalogEntry => {
      const terms = exceptionTerms(p);
      return {
        policyId: p.id,
        description: p.description,
        scope: p.scope,
        kind: p.kind,
        roles: p.roles.map(catalogRole).sort((a, b) => a.roleName.localeCompare(b.roleName)),
        ...(terms ? { exception: { approvals: terms.approvals, maxDuration: terms.maxDuration, maxDurationMs: terms.maxDurationMs } } : {}),
      };
    })
    .sort((a, b) => scopeDepth(a.scope) - scopeDepth(b.scope) || a.scope.localeCompare(b.scope));
}
