/**
 * Grants and coverage: what AccessManager has given, and the index the enforcer reads on
 * every event. A coverage document, keyed by (principal, role, scope), lists every grant
 * that justifies the one role assignment Azure allows for that triple; the assignment is
 * removed only when the last of them ends, so two grants never cause an early revoke.
 */
import { z } from 'zod';
import { deterministicGuid, roleDefinitionGuid, scopeKey } from '../armIds';
import { outboxEntrySchema } from '../audit/outbox';

export type GrantStatus = 'active' | 'expired' | 'revoked';
export type GrantEndReason = 'expired' | 'revoked' | 'endedExternally';

const iso = z.string().min(1);

export const grantSchema = z.object({
  id: z.string(),
  type: z.literal('grant').default('grant'),
  requestId: z.string(),
  /** Every request that created or renewed this grant, oldest first. */
  requestIds: z.array(z.string()).default([]),
  principalId: z.string(),
  /** User, Group or ServicePrincipal, from the directory (absent on grants made before it was recorded). */
  principalType: z.enum(['User', 'Group', 'ServicePrincipal']).optional(),
  roleDefinitionId: z.string(),
  roleName: z.string(),
  scope: z.string(),
  scopeKey: z.string(),
  policyId: z.string(),
  assignmentId: z.string(),
  startsAt: iso,
  expiresAt: iso,
  status: z.enum(['active', 'expired', 'revoked']),
  endedAt: iso.optional(),
  endReason: z.enum(['expired', 'revoked', 'endedExternally']).optional(),
  endedBy: z.object({ id: z.string().optional(), name: z.string().optional() }).optional(),
  requester: z.object({ id: z.string(), name: z.string() }),
  approvers: z.array(z.object({ id: z.string(), name: z.string(), at: iso })).default([]),
  /** When the holder was warned of the coming expiry; set before sending, so a retry does not warn twice. */
  warnedAt: iso.optional(),
  /** Set while ending: the assignment still has to be removed (crash-safe hand-off to the timer). */
  pendingRemoval: z.boolean().optional(),
  /**
   * When the holder was told the grant ended. Written by the end's last write, after the notice
   * went out: a crash in between repeats the notice (never the record), which beats a marker write.
   */
  endNoticeSentAt: iso.optional(),
  /** Audit entries of changes not yet in the ledger (see domain/audit/outbox). Internal. */
  outbox: z.array(outboxEntrySchema).optional(),
});
export type Grant = z.infer<typeof grantSchema>;

export const coverageEntrySchema = z.object({
  grantId: z.string(),
  expiresAt: iso,
});
export type CoverageEntry = z.infer<typeof coverageEntrySchema>;

export const coverageSchema = z.object({
  id: z.string(),
  type: z.literal('coverage').default('coverage'),
  principalId: z.string(),
  roleDefinitionGuid: z.string(),
  scope: z.string(),
  /** The assignment that carries these grants in Azure. */
  assignmentId: z.string().optional(),
  entries: z.array(coverageEntrySchema),
});
export type Coverage = z.infer<typeof coverageSchema>;

/** The coverage document id of a (principal, role, scope) triple; every part compared case-insensitively. */
export function coverageKey(principalId: string, roleDefinitionIdOrGuid: string, scope: string): string {
  const role = roleDefinitionGuid(roleDefinitionIdOrGuid) ?? roleDefinitionIdOrGuid.toLowerCase();
  return deterministicGuid('coverage', principalId.toLowerCase(), role, scopeKey(scope));
}

/** The grant id of an approved request; also the name of the role assignment it creates, so retries converge. */
export function grantIdFor(requestId: string): string {
  return deterministicGuid('grant', requestId);
}

/** Entries still in force at `now`. */
export function liveEntries(coverage: Coverage | undefined, now: Date): CoverageEntry[] {
  if (!coverage) return [];
  return coverage.entries.filter((e) => Date.parse(e.expiresAt) > now.getTime());
}

/** Adds or updates a grant's entry; returns the same object when nothing changes (no write). */
export function withEntry(coverage: Coverage, entry: CoverageEntry, assignmentId?: string): Coverage {
  const existing = coverage.entries.find((e) => e.grantId === entry.grantId);
  const sameAssignment = assignmentId === undefined || coverage.assignmentId === assignmentId;
  if (existing && existing.expiresAt === entry.expiresAt && sameAssignment) return coverage;
  const entries = existing ? coverage.entries.map((e) => (e.grantId === entry.grantId ? entry : e)) : [...coverage.entries, entry];
  return { ...coverage, entries, assignmentId: assignmentId ?? coverage.assignmentId };
}

/** Entries of grants other than `grantId` still in force at `now`: they keep the shared assignment. */
export function otherLiveEntries(coverage: Coverage | undefined, grantId: string, now: Date): CoverageEntry[] {
  return liveEntries(coverage, now).filter((e) => e.grantId !== grantId);
}

/**
 * The coverage after a grant ends. An entry past its `expiresAt` already counts as absent for
 * the enforcer (liveEntries, decideAssignment), so an expiry leaves it in place (no write; the
 * document's next write prunes it). A live entry is removed now: an early revoke, an external
 * end, or an expiry whose coverage a crashed renewal had already extended.
 */
export function coverageAfterEnd(coverage: Coverage, grantId: string, now: Date): Coverage {
  const own = coverage.entries.find((e) => e.grantId === grantId);
  if (!own || Date.parse(own.expiresAt) <= now.getTime()) return coverage;
  return withoutEntry(coverage, grantId);
}

/** Drops entries past their expiry (they count as absent already); the same object when there is none. */
export function withoutExpiredEntries(coverage: Coverage, now: Date): Coverage {
  const live = liveEntries(coverage, now);
  return live.length === coverage.entries.length ? coverage : { ...coverage, entries: live };
}

/** Removes a grant's entry; returns the same object when it was not there. */
export function withoutEntry(coverage: Coverage, grantId: string): Coverage {
  if (!coverage.entries.some((e) => e.grantId === grantId)) return coverage;
  return { ...coverage, entries: coverage.entries.filter((e) => e.grantId !== grantId) };
}
