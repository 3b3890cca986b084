/**
 * What lies under a management group, from ARM (`GET .../managementGroups/{name}/descendants`,
 * api-version 2020-05-01): read once at start-up for each management group a policy governs, so
 * the policies know which subscriptions they reach. No SDK package is needed for one GET: it goes
 * through the ARM client's pipeline.
 */
import type { AuthorizationManagementClient } from '@azure/arm-authorization';
import { z } from 'zod';
import { normalizeScope } from '../../domain/armIds';
import { InternalError } from '../../domain/errors';
import { classifyDescendants } from '../../domain/governance';
import type { ManagementGroupDescendants } from '../../domain/policy/policySet';
import { armGetJson } from './armRoleAssignments';

const pageSchema = z.object({
  value: z.array(z.object({ id: z.string(), type: z.string(), name: z.string().optional() })),
  nextLink: z.string().nullish(),
});

const MAX_PAGES = 100;

export async function managementGroupDescendants(client: AuthorizationManagementClient, endpoint: string, scope: string): Promise<ManagementGroupDescendants> {
  const subscriptions: string[] = [];
  const groups: string[] = [];
  let url: string | undefined = `${endpoint.replace(/\/+$/, '')}${normalizeScope(scope)}/descendants?api-version=2020-05-01`;
  for (let page = 0; url && page < MAX_PAGES; page++) {
    const parsed = pageSchema.safeParse(await armGetJson(client, url, `Reading what lies under ${scope}`));
    if (!parsed.success) throw new InternalError(`ARM answered the descendants of ${scope} in an unknown shape.`, 'AzureBadAnswer');
    const found = classifyDescendants(parsed.data.value);
    subscriptions.push(...found.subscriptions);
    groups.push(...found.groups);
    url = parsed.data.nextLink ?? undefined;
  }
  return { subscriptions, groups };
}
