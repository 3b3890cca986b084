/**
 * What an ARM handler works with: the decoded request, the caller, the state, and the two
 * side effects every write shares, authorisation (403 AuthorizationFailed) and the event.
 */
import { randomUUID } from 'node:crypto';
import { subscriptionOf } from '../../../shared/domain/armIds';
import { eventClaimsOf, type Caller } from '../caller';
import { evidenceOf, toArmEvent, type ArmEventType } from '../events/armEvent';
import type { EventDelivery } from '../events/delivery';
import { header, SimHttpError, type SimRequest } from '../http';
import type { SimKnobs } from '../knobs';
import type { SimState } from '../state';
import { findAuthorization, type Authorization } from './authorize';

export interface ArmDeps {
  state: SimState;
  knobs: SimKnobs;
  delivery: EventDelivery;
}

export interface ArmContext extends ArmDeps {
  req: SimRequest;
  caller: Caller;
  apiVersion: string;
}

/** The caller's authorising assignment for `action` over `scope`, or the 403 ARM would answer. */
export function authorize(ctx: ArmContext, scope: string, action: string): Authorization {
  const found = findAuthorization(ctx.state.rbac(), ctx.caller.objectId, scope, action);
  if (found) return found;
  const who = ctx.caller.upn ?? ctx.caller.appId;
  throw new SimHttpError(
    403,
    'AuthorizationFailed',
    `The client '${who}' with object id '${ctx.caller.objectId}' does not have authorization to perform action '${action}' over scope '${scope}' or the scope is invalid. If access was recently granted, please refresh your credentials.`,
  );
}

export interface ArmWrite {
  eventType: ArmEventType;
  resourceUri: string;
  operationName: string;
  resourceProvider: string;
  authorization: Authorization;
}

/**
 * Emits the event of a successful write or delete, unless the request said `x-sim-events: off`.
 * Like Azure, only changes inside the subscription reach its system topic: a management group's
 * role assignments raise no event there (reconcile finds them).
 */
export function emitArmEvent(ctx: ArmContext, write: ArmWrite): void {
  if (!ctx.knobs.emitEvents || header(ctx.req, 'x-sim-events')?.toLowerCase() === 'off') return;
  // Each subscription's system topic carries the changes inside it.
  const subscriptionId = subscriptionOf(write.resourceUri);
  if (!subscriptionId) return;
  ctx.delivery.publish(
    toArmEvent({
      id: randomUUID(),
      eventType: write.eventType,
      eventTime: new Date(),
      subscriptionId,
      tenantId: ctx.state.tenantId,
      resourceUri: write.resourceUri,
      operationName: write.operationName,
      resourceProvider: write.resourceProvider,
      evidence: evidenceOf(write.authorization.assignment, write.authorization.role),
      claims: eventClaimsOf(ctx.caller, ctx.req.clientIp),
      correlationId: header(ctx.req, 'x-ms-correlation-request-id') ?? randomUUID(),
      clientRequestId: header(ctx.req, 'x-ms-client-request-id') ?? randomUUID(),
      clientIpAddress: ctx.req.clientIp,
      method: ctx.req.method,
      pathAndQuery: `${ctx.req.path}?api-version=${ctx.apiVersion}`,
    }),
  );
}

export function methodNotAllowed(ctx: ArmContext): SimHttpError {
  return new SimHttpError(405, 'MethodNotAllowed', `The simulated ARM does not support ${ctx.req.method} on '${ctx.req.path}'.`);
}
