/** Use cases of grants seen from the API: list (own, or all for admins) and early revoke. */
import type { Deps } from '../ports/deps';
import { ForbiddenError, NotFoundError } from '../domain/errors';
import type { Caller } from '../domain/caller';
import type { QueryPage } from '../ports/page';
import type { Grant, GrantStatus } from '../domain/grants/grant';
import { endGrant } from './grants';
import { flushGrantAudit } from './outbox';
import { sameId } from '../domain/armIds';

export interface ListGrantsInput {
  principalId?: string;
  scope?: string;
  status?: GrantStatus;
  limit?: number;
  continuationToken?: string;
}

export async function listGrants(deps: Pick<Deps, 'grants'>, caller: Caller, input: ListGrantsInput): Promise<QueryPage<Grant>> {
  if (input.principalId && !sameId(input.principalId, caller.id) && !caller.isAdmin) {
    throw new ForbiddenError("Only AccessManager admins can list other people's grants.", 'AdminOnly');
  }
  const principalId = caller.isAdmin ? input.principalId : caller.id;
  return deps.grants.list({ principalId, scope: input.scope, status: input.status, maxItemCount: input.limit, continuationToken: input.continuationToken });
}

export async function revokeGrant(deps: Parameters<typeof endGrant>[0], caller: Caller, grantId: string, reason: string): Promise<Grant> {
  const grant = await deps.grants.get(grantId);
  if (!grant || (!sameId(grant.principalId, caller.id) && !caller.isAdmin)) {
    throw new NotFoundError(`Grant ${grantId} does not exist, or it is not yours.`, 'GrantNotFound');
  }
  // An ended grant whose assignment removal was interrupted (ARM outage, answered 503) is finished
  // by the retry, so a 200 always means the access is gone rather than "gone at the next timer run".
  // An ended grant whose record a crash left queued gets it now, so a retry never leaves it unrecorded.
  if (grant.status !== 'active' && !grant.pendingRemoval) return flushGrantAudit(deps, grant);
  return endGrant(deps, grantId, 'revoked', { id: caller.id, name: caller.name }, reason);
}
