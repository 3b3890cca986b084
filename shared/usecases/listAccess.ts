/**
 * The live access view as the API serves it: lists the assignments at and under a scope from
 * ARM and joins each with its coverage, grants and display name (the join itself is pure:
 * domain/access/accessView).
 */
import type { Deps } from '../ports/deps';
import type { GrantRepository } from '../ports/grants';
import type { LiveAssignment } from '../ports/roleAssignments';
import { accessScope, assignmentKey, assignmentsWithin, buildAccessView, type AccessItem, type CoverageLookup } from '../domain/access/accessView';
import { roleDefinitionGuid } from '../domain/armIds';
import { governedSubscriptionScopes } from '../domain/governance';
import { mapLimited } from '../domain/concurrency';
import type { Grant } from '../domain/grants/grant';

/** Store reads in flight at once while joining: enough to hide latency, few enough not to be throttled. */
const STORE_CONCURRENCY = 8;
/** Directory reads in flight at once for display names. */
const DIRECTORY_CONCURRENCY = 4;

type AccessDeps = Pick<Deps, 'config' | 'clock' | 'grants' | 'policies' | 'roleAssignments' | 'directory' | 'appPrincipalId' | 'governed'>;

/**
 * Lists the live assignments at and under `scope` from ARM (no scope: every governed subscription)
 * and joins each with its grant, exemption or policy verdict.
 */
export async function listAccess(deps: AccessDeps, input: { scope?: string }): Promise<AccessItem[]> {
  const unscoped = input.scope === undefined || input.scope.trim() === '';
  const scopes = unscoped ? governedSubscriptionScopes(deps.governed) : [accessScope(input.scope, deps.config.AZURE_SUBSCRIPTION_ID)];
  const assignments: LiveAssignment[] = [];
  const seen = new Set<string>();
  for (const scope of scopes) {
    const listed: LiveAssignment[] = [];
    for await (const page of deps.roleAssignments.listForScope(scope)) listed.push(...page);
    for (const a of assignmentsWithin(listed, scope)) {
      if (seen.has(assignmentKey(a.id))) continue;
      seen.add(assignmentKey(a.id));
      assignments.push(a);
    }
  }

  const lookups = await mapLimited(assignments, STORE_CONCURRENCY, async (assignment) => [assignmentKey(assignment.id), await coverageLookup(deps.grants, assignment)] as const);
  const coverage = new Map(lookups.filter((entry): entry is readonly [string, CoverageLookup] => entry[1] !== undefined));
  const names = await principalNames(deps, assignments);
  return buildAccessView(assignments, coverage, deps.policies, deps.appPrincipalId, deps.clock.now(), names);
}

async function coverageLookup(store: GrantRepository, assignment: LiveAssignment): Promise<CoverageLookup | undefined> {
  const role = roleDefinitionGuid(assignment.roleDefinitionId) ?? assignment.roleDefinitionId;
  const doc = await store.readCoverage(assignment.principalId, role, assignment.scope);
  if (!doc || doc.entries.length === 0) return undefined;
  const grants = await Promise.all(doc.entries.map((entry) => store.get(entry.grantId)));
  return { entries: doc.entries, grants: grants.filter((g): g is Grant => g !== undefined) };
}

/** Display names are a convenience: a directory outage leaves them out rather than failing the view. */
async function principalNames(deps: AccessDeps, assignments: readonly LiveAssignment[]): Promise<Map<string, string>> {
  // AccessManager's own identity is named by the join itself.
  const ids = [...new Set(assignments.map((a) => a.principalId.toLowerCase()))].filter((id) => id !== deps.appPrincipalId.toLowerCase());
  const names = new Map<string, string>();
  await mapLimited(
    ids,
    DIRECTORY_CONCURRENCY,
    async (id) => {
      try {
        const user = await deps.directory.getUser(id);
        const name = user?.userPrincipalName ?? user?.displayName;
        if (name) names.set(id, name);
      } catch (err) {
        console.warn(`Access view: no display name for ${id} (${err instanceof Error ? err.message : String(err)}).`);
      }
    },
  );
  return names;
}

