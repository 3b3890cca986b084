/**
 * Starter policies for a real tenant (`access-manager policies init`): from what a subscription
 * holds today (its resource groups, storage accounts, key vaults and role assignments), policies
 * in audit mode that exempt today's standing access, one per subscription and one per resource
 * group holding data (storage or vaults), for a security team to review in git. Pure: the CLI
 * reads ARM and writes the files.
 *
 * Each standing assignment is exempted by its full id in the most specific policy whose scope
 * holds it, with a reason that says what it is, so a reviewer can keep it, narrow it, or delete
 * the line (it then shows up as "would revoke" in audit mode, and is revoked in enforce mode).
 */
import { stringify } from 'yaml';
import { isWithinScope, normalizeScope, scopeDepth, scopeKey, subscriptionOf } from '../armIds';
import { findBuiltInRole } from '../roles';

export interface InventoryAssignment {
  id: string;
  scope: string;
  principalId: string;
  principalType?: string;
  roleDefinitionId: string;
  /** The role's name, from the subscription's role definitions (custom roles included), when known. */
  roleName?: string;
}

/** What one subscription holds, as read through ARM. */
export interface SubscriptionInventory {
  subscriptionId: string;
  displayName?: string;
  resourceGroups: ReadonlyArray<{ id: string; name: string }>;
  /** Storage accounts and key vaults (other types are ignored). */
  resources: ReadonlyArray<{ id: string; name: string; type: string }>;
  /** Every role assignment listed for the subscription, inherited ones included. */
  assignments: readonly InventoryAssignment[];
}

export interface StarterOptions {
  /** Day the inventory was taken (YYYY-MM-DD), written into reasons and headers. */
  date: string;
  /** Where it came from, for the header (a subscription or management group id). */
  source: string;
  /** Entra groups that approve requests; without them the policies list no requestable roles yet. */
  approverGroups: readonly string[];
}

export interface StarterPolicy {
  /** File name, e.g. `subscription-00000000.yaml`. */
  file: string;
  id: string;
  scope: string;
  exemptions: number;
  text: string;
}

export interface StarterResult {
  policies: StarterPolicy[];
  /** Assignments above any subscription read (management group, tenant root): not governed by these policies. */
  inherited: number;
}

const STORAGE = 'microsoft.storage/storageaccounts';
const VAULT = 'microsoft.keyvault/vaults';

interface RoleTerms {
  role: string;
  maxDuration: string;
  approvals: number;
}

/** Conservative starting terms; the reviewer adjusts them. */
const SUBSCRIPTION_ROLES: readonly RoleTerms[] = [{ role: 'Reader', maxDuration: 'P1D', approvals: 1 }];
const STORAGE_ROLES: readonly RoleTerms[] = [
  { role: 'Storage Blob Data Reader', maxDuration: 'PT8H', approvals: 1 },
  { role: 'Storage Blob Data Contributor', maxDuration: 'PT4H', approvals: 2 },
];
const VAULT_ROLES: readonly RoleTerms[] = [{ role: 'Key Vault Secrets User', maxDuration: 'PT4H', approvals: 1 }];

/** A policy id (letters, digits, dashes, at most 63) from a resource group's name. */
export function policyIdFor(name: string): string {
  const id = name
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63);
  return id.length > 0 ? id : 'resource-group';
}

function roleLabel(a: InventoryAssignment): string {
  const guid = a.roleDefinitionId.split('/').pop() ?? a.roleDefinitionId;
  return a.roleName ?? findBuiltInRole(guid)?.roleName ?? `role ${guid}`;
}

function reasonFor(a: InventoryAssignment, date: string): string {
  return `Standing on ${date}: ${roleLabel(a)} for ${a.principalType ?? 'principal'} ${a.principalId}. Keep, narrow, or remove this line (it then becomes a request).`;
}

interface Draft {
  id: string;
  scope: string;
  description: string;
  roles: readonly RoleTerms[];
  assignments: InventoryAssignment[];
}

function header(draft: Draft, options: StarterOptions): string {
  return [
    `# Starter policy written by \`access-manager policies init\` on ${options.date} from ${options.source}.`,
    '# mode: audit records what enforcement would revoke (assignment.wouldRevoke) and revokes nothing.',
    '# Review it in git: every exemption is a role assignment that existed when this file was written;',
    '# keep what must stay standing and delete the rest. After a week in audit mode, read',
    '# `access-manager report would-revoke --since 7d`, then switch to mode: enforce.',
    ...(options.approverGroups.length === 0 ? ['# No approver groups were given: add requestable roles under `roles:` (README, Policies).'] : []),
  ].join('\n');
}

function render(draft: Draft, options: StarterOptions): string {
  const body = {
    id: draft.id,
    description: draft.description,
    scope: draft.scope,
    mode: 'audit',
    kind: 'rigid',
    roles:
      options.approverGroups.length === 0
        ? []
        : draft.roles.map((r) => ({
            role: r.role,
            maxDuration: r.maxDuration,
            approvals: r.approvals,
            approvers: { groups: [...options.approverGroups] },
            justification: { required: true },
          })),
    exemptions: {
      assignments: [...draft.assignments]
        .sort((a, b) => scopeKey(a.id).localeCompare(scopeKey(b.id)))
        .map((a) => ({ id: normalizeScope(a.id), reason: reasonFor(a, options.date) })),
    },
  };
  return `${header(draft, options)}\n${stringify(body, { lineWidth: 0 })}`;
}

/** The starter policies for the given subscriptions. */
export function starterPolicies(inventories: readonly SubscriptionInventory[], options: StarterOptions): StarterResult {
  const drafts: Draft[] = [];
  const usedIds = new Set<string>();
  const uniqueId = (wanted: string, suffix: string) => {
    const id = usedIds.has(wanted) ? `${wanted.slice(0, 54)}-${suffix}` : wanted;
    usedIds.add(id);
    return id;
  };
  let inherited = 0;

  for (const inv of inventories) {
    const sub = inv.subscriptionId.toLowerCase();
    const short = sub.slice(0, 8);
    const subscriptionScope = `/subscriptions/${sub}`;
    const subscriptionDraft: Draft = {
      id: uniqueId(`subscription-${short}`, short),
      scope: subscriptionScope,
      description: `Baseline for subscription ${inv.displayName ? `${inv.displayName} (${sub})` : sub}: everything no narrower policy claims.`,
      roles: SUBSCRIPTION_ROLES,
      assignments: [],
    };
    const groupDrafts: Draft[] = [];
    for (const group of [...inv.resourceGroups].sort((a, b) => a.name.localeCompare(b.name))) {
      const held = inv.resources.filter((r) => isWithinScope(r.id, group.id));
      const storage = held.filter((r) => r.type.toLowerCase() === STORAGE);
      const vaults = held.filter((r) => r.type.toLowerCase() === VAULT);
      if (storage.length + vaults.length === 0) continue;
      const holds = [...storage.map((r) => `storage account ${r.name}`), ...vaults.map((r) => `key vault ${r.name}`)];
      groupDrafts.push({
        id: uniqueId(policyIdFor(group.name), short),
        scope: normalizeScope(group.id),
        description: `Resource group ${group.name}: ${holds.join(', ')}.`,
        roles: [...(storage.length > 0 ? STORAGE_ROLES : []), ...(vaults.length > 0 ? VAULT_ROLES : [])],
        assignments: [],
      });
    }
    const candidates = [subscriptionDraft, ...groupDrafts];
    for (const a of inv.assignments) {
      if (subscriptionOf(a.scope) !== sub) {
        inherited++;
        continue;
      }
      const home = candidates.filter((d) => isWithinScope(a.scope, d.scope)).sort((x, y) => scopeDepth(y.scope) - scopeDepth(x.scope))[0];
      home?.assignments.push(a);
    }
    drafts.push(...candidates);
  }

  const policies = drafts.map((d) => ({
    file: `${d.id}.yaml`,
    id: d.id,
    scope: d.scope,
    exemptions: d.assignments.length,
    text: render(d, options),
  }));
  return { policies, inherited };
}
