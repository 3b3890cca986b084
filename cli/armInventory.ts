/**
 * What `access-manager policies init` reads through ARM, as the person running it (their own
 * credential: `az login`, or a device code): a subscription's resource groups, its storage
 * accounts and key vaults, its role assignments and the names of its roles. The CLI is otherwise
 * an HTTP client of AccessManager; this is the one command that runs before AccessManager
 * governs anything, so it talks to ARM directly, with the ARM SDK clients.
 */
import { AuthorizationManagementClient } from '@azure/arm-authorization';
import { ResourceManagementClient } from '@azure/arm-resources';
import type { TokenCredential } from '@azure/core-auth';
import type { SubscriptionInventory } from '../shared/domain/policy/starter';

export interface ArmOptions {
  /** https://management.azure.com by default; another cloud's, or the local simulator's. */
  endpoint: string;
  /** A CA to trust (the local simulator's certificate). */
  ca?: string;
}

const DATA_HOLDERS = ['Microsoft.Storage/storageAccounts', 'Microsoft.KeyVault/vaults'];

function clientOptions(options: ArmOptions) {
  return { endpoint: options.endpoint, credentialScopes: [`${new URL(options.endpoint).origin}/.default`], ...(options.ca ? { tlsOptions: { ca: options.ca } } : {}) };
}

async function collect<T>(pages: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of pages) out.push(item);
  return out;
}

export async function readSubscription(credential: TokenCredential, subscriptionId: string, options: ArmOptions): Promise<SubscriptionInventory> {
  const resources = new ResourceManagementClient(credential, subscriptionId, clientOptions(options));
  const authorization = new AuthorizationManagementClient(credential, subscriptionId, clientOptions(options));
  const filter = DATA_HOLDERS.map((t) => `resourceType eq '${t}'`).join(' or ');
  const [groups, held, assignments, definitions] = await Promise.all([
    collect(resources.resourceGroups.list()),
    collect(resources.resources.list({ filter })),
    collect(authorization.roleAssignments.listForSubscription()),
    collect(authorization.roleDefinitions.list(`/subscriptions/${subscriptionId}`)),
  ]);
  const roleNames = new Map(definitions.map((d) => [(d.name ?? '').toLowerCase(), d.roleName ?? '']));
  return {
    subscriptionId,
    resourceGroups: groups.filter((g) => g.id && g.name).map((g) => ({ id: g.id!, name: g.name! })),
    // Filtered here too: not every ARM (nor the simulator) honours $filter on resource type.
    resources: held.filter((r) => r.id && r.name && DATA_HOLDERS.some((t) => t.toLowerCase() === (r.type ?? '').toLowerCase())).map((r) => ({ id: r.id!, name: r.name!, type: r.type! })),
    assignments: assignments
      .filter((a) => a.id && a.scope && a.principalId && a.roleDefinitionId)
      .map((a) => {
        const roleName = roleNames.get((a.roleDefinitionId!.split('/').pop() ?? '').toLowerCase());
        return {
          id: a.id!,
          scope: a.scope!,
          principalId: a.principalId!,
          ...(a.principalType ? { principalType: a.principalType } : {}),
          roleDefinitionId: a.roleDefinitionId!,
          ...(roleName ? { roleName } : {}),
        };
      }),
  };
}
