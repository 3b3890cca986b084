/**
 * Guardrail exceptions as requests: created by the exception rule, stored, approved and shown on
 * the same cards as role requests (./requests.ts decides them). Once approved, the exception is
 * written into the resource's guardrail state (the enforcer reads it there in the same point
 * read) and recorded; the endGuardrailExceptions timer ends it, re-applies the guardrail and
 * records that (./guardrails.ts).
 */
import { randomUUID } from 'node:crypto';
import type { Deps } from '../ports/deps';
import type { Caller } from '../domain/caller';
import type { AccessRequest } from '../domain/requests/model';
import { grantWindow, requestDurationMs } from '../domain/requests/rules';
import { evaluateGuardrailException, type GuardrailExceptionCommand } from '../domain/guardrails/exceptionRules';
import { propertyState, withClosed, withException } from '../domain/guardrails/state';
import type { Grant } from '../domain/grants/grant';
import { fulfilRequest, notifySafely, requestTarget } from './grants';
import { queueAudit } from '../domain/audit/outbox';
import { flushRequestAudit } from './outbox';

type ExceptionDeps = Pick<Deps, 'requests' | 'grants' | 'policies' | 'directory' | 'audit' | 'notifier' | 'clock' | 'roleAssignments' | 'appPrincipalId' | 'guardrails' | 'selfAccess'>;

/** The exception asked for: the rule's command without the requester (the caller is). */
export type GuardrailExceptionInput = Omit<GuardrailExceptionCommand, 'requester'>;

export async function createGuardrailExceptionRequest(deps: ExceptionDeps, caller: Caller, input: GuardrailExceptionInput): Promise<AccessRequest> {
  const result = evaluateGuardrailException({ ...input, requester: { id: caller.id, name: caller.name } }, deps.policies, deps.clock.now());
  if (!result.ok) throw result.error;
  const draft: AccessRequest = { id: randomUUID(), ...result.draft };
  const ask = draft.guardrail!;
  // The record travels with the request (its outbox), as a role request's does: a crash before the
  // ledger has it leaves it for the next attempt or the expireGrants timer, never lost.
  const request = queueAudit(
    draft,
    `request.created:${draft.id}`,
    {
      action: 'request.created',
      actor: { id: caller.id, name: caller.name },
      ...requestTarget(draft),
      reason: draft.justification,
      details: { kind: 'guardrailException', property: ask.property, allowedValue: ask.allowedValue, duration: draft.duration, requiredApprovals: draft.requiredApprovals, compensatingControl: ask.compensatingControl },
    },
    deps.clock.now(),
  );
  const { etag } = await deps.requests.create(request);
  await flushRequestAudit(deps, request, etag);
  try {
    const users = new Set(request.approverUsers.map((u) => u.toLowerCase()));
    for (const u of await deps.directory.usersInGroups(request.approverGroups)) users.add(u.id.toLowerCase());
    users.delete(caller.id.toLowerCase());
    await notifySafely(deps, {
      kind: 'request.pending',
      recipients: [...users],
      subject: `Approval needed: ${request.roleName}`,
      text: `${caller.name} asks that ${ask.property} may be ${String(ask.allowedValue)} on ${request.scope} for ${request.duration}: ${request.justification} (compensating control: ${ask.compensatingControl})`,
      requestId: request.id,
      key: `request.pending:${request.id}`,
    });
  } catch (err) {
    console.warn(`Could not notify approvers of request ${request.id}: ${err instanceof Error ? err.message : String(err)}`);
  }
  return request;
}

/**
 * Puts an approved exception in force. Idempotent: the exception's id is the request's grantId,
 * written once into the resource's state, recorded once, and the request marked fulfilled last.
 */
export async function fulfilGuardrailException(deps: ExceptionDeps, request: AccessRequest): Promise<boolean> {
  if (request.status !== 'approved' || !request.grantId || !request.resolvedAt || !request.guardrail) return false;
  const ask = request.guardrail;
  const window = grantWindow(request.resolvedAt, requestDurationMs(request));
  const exception = {
    id: request.grantId,
    requestId: request.id,
    property: ask.property,
    allowedValue: ask.allowedValue,
    startsAt: window.startsAt,
    expiresAt: window.expiresAt,
    requester: request.requester,
    compensatingControl: ask.compensatingControl,
  };
  await deps.guardrails.states.update(request.scope, (state) => {
    if (state.exceptions.some((e) => e.id === exception.id)) return state;
    // A deviation recorded before the exception is settled by it: when the exception ends, what is found then is a new episode, recorded anew.
    const before = propertyState(state, ask.property);
    const settled = before.open ? withClosed(state, ask.property, before.episode) : state;
    return withException(settled, exception);
  });
  const approvers = request.approvals.filter((a) => a.decision === 'approve').map((a) => a.approverName);
  // Written before the request is marked fulfilled: after a crash here the timer fulfils it again, and the key keeps this one record.
  await deps.audit.append({
    action: 'guardrail.exceptionGranted',
    actor: { id: deps.appPrincipalId, name: 'AccessManager' },
    ...requestTarget(request),
    grantId: exception.id,
    reason: `${ask.property} may be ${String(ask.allowedValue)} until ${exception.expiresAt} (approved by ${approvers.join(', ')}; compensating control: ${ask.compensatingControl})`,
    details: { property: ask.property, allowedValue: ask.allowedValue, startsAt: exception.startsAt, expiresAt: exception.expiresAt },
  }, { idempotencyKey: `guardrail.exceptionGranted:${exception.id}` });
  await deps.requests.update(request.id, (r) => (r.fulfilled ? r : { ...r, fulfilled: true }));
  await notifySafely(deps, {
    // grant.created also refreshes the request's approval cards.
    kind: 'grant.created',
    recipients: [request.requester.id],
    subject: `Exception in force: ${ask.property} on ${request.scope.slice(request.scope.lastIndexOf('/') + 1)}`,
    text: `${ask.property} may be ${String(ask.allowedValue)} on ${request.scope} until ${exception.expiresAt}. AccessManager applies the guardrail again when it ends.`,
    requestId: request.id,
    grantId: exception.id,
    key: `grant.created:${exception.id}`,
  });
  return true;
}

/** What an approved request produces: a grant for a role, an exception in force for a guardrail exception. */
export async function fulfilApproved(deps: ExceptionDeps, request: AccessRequest): Promise<Grant | boolean | undefined> {
  return request.kind === 'guardrailException' ? fulfilGuardrailException(deps, request) : fulfilRequest(deps, request);
}
