/**
 * What a click on a card does, through the same use cases as the HTTP API: approve and deny
 * go to decideRequest (same rules, same ETag compare-and-swap), Renew to renewGrant, the
 * request form's submit to createRequest. The
 * answer is always a card for the clicker: the request as it now stands with what their click
 * did, or why it was refused. Someone who may not see the request learns only the reason.
 */
import type { Deps } from '../ports/deps';
import { AppError, ForbiddenError } from '../domain/errors';
import { sameId } from '../domain/armIds';
import type { Caller } from '../domain/caller';
import type { AccessRequest } from '../domain/requests/model';
import { createRequest, decideRequest, isEligibleApprover, renewGrant } from './requests';
import { requestableCatalog } from '../domain/policy/catalog';
import { renderRequestFormCard } from '../domain/cards/requestFormCard';
import { approvalsNeeded, timeoutIfExpired } from '../domain/requests/rules';
import type { AdaptiveCardJson } from '../domain/cards/adaptiveCard';
import { principalNameOf, renderApprovalCard, type CardNotice } from '../domain/cards/approvalCard';
import type { CardAction } from '../domain/cards/cardAction';
import { refusalCard, renewalRequestedCard, renewCardForGrant } from '../domain/cards/notificationCards';

/** Who clicked, as the (token-vouched) activity says: `from.aadObjectId`, `from.name`, `from.id`. */
export interface Clicker {
  objectId: string;
  name?: string;
  /** Teams user id (`29:...`), so the answered card keeps refreshing for them. */
  userId?: string;
}

/**
 * Why a card may not decide this request, before any rule runs: roles with step-up approval
 * (`approvalChannel: web`) are decided in the browser, where sign-in policies apply. A forged
 * invoke for such a request is refused like a missing button.
 */
export function cardDecisionRefusal(request: Pick<AccessRequest, 'approvalChannel' | 'roleName'>): ForbiddenError | undefined {
  if (request.approvalChannel !== 'web') return undefined;
  return new ForbiddenError(
    `${request.roleName} needs step-up approval: decide in the browser (the link on the card), where sign-in policies such as MFA apply. Teams cannot approve it.`,
    'StepUpRequired',
  );
}

/** The confirmation the clicker sees once their decision is recorded. */
export function decisionNotice(request: AccessRequest, decision: 'approve' | 'deny'): CardNotice {
  if (decision === 'deny') return { tone: 'attention', text: 'You denied this request; it is closed and the requester has been told.' };
  if (request.status === 'approved') {
    return request.fulfilled === false
      ? { tone: 'good', text: 'You approved. The request has all its approvals; access is being granted.' }
      : { tone: 'good', text: 'You approved. The request has all its approvals and access has been granted.' };
  }
  const needed = approvalsNeeded(request);
  return { tone: 'good', text: `You approved. ${needed} more approval${needed === 1 ? ' is' : 's are'} needed.` };
}

async function callerOf(deps: Pick<Deps, 'directory'>, clicker: Clicker): Promise<Caller> {
  // The name recorded with an approval is the UPN, as through the API; the chat display name is the fallback.
  const user = await deps.directory.getUser(clicker.objectId).catch(() => undefined);
  return { id: clicker.objectId.toLowerCase(), name: user?.userPrincipalName ?? clicker.name ?? clicker.objectId, roles: [], isAdmin: false };
}

async function mayView(deps: Pick<Deps, 'directory'>, caller: Caller, request: AccessRequest): Promise<boolean> {
  return sameId(caller.id, request.requester.id) || sameId(caller.id, request.principalId) || (await isEligibleApprover(deps, caller, request).catch(() => false));
}

async function viewFor(deps: Deps, clicker: Clicker, request: AccessRequest, notice?: CardNotice): Promise<AdaptiveCardJson> {
  const principalName = await principalNameOf(deps.directory, request);
  return renderApprovalCard({
    request,
    now: deps.clock.now(),
    publicBaseUrl: deps.config.PUBLIC_BASE_URL,
    viewer: { kind: 'person', objectId: clicker.objectId },
    refreshUserIds: clicker.userId ? [clicker.userId] : [],
    ...(principalName ? { principalName } : {}),
    ...(notice ? { notice } : {}),
  });
}

/** A refusal worth showing: the user's mistake or the request's state (4xx), or an outage worth retrying. */
function refusalReason(err: unknown): string | undefined {
  if (!(err instanceof AppError)) return undefined;
  if (err.status < 500) return err.message;
  if (err.transient) return `it could not be recorded right now (${err.message}). Try again in a minute.`;
  return undefined;
}

async function decide(deps: Deps, clicker: Clicker, action: Extract<CardAction, { verb: 'approve' | 'deny' }>): Promise<AdaptiveCardJson> {
  const requests = deps.requests;
  const request = await requests.get(action.requestId);
  if (!request) return refusalCard(`Request ${action.requestId} does not exist.`);
  const caller = await callerOf(deps, clicker);
  const refuse = async (reason: string): Promise<AdaptiveCardJson> => {
    const current = (await requests.get(action.requestId)) ?? request;
    if (!(await mayView(deps, caller, current))) return refusalCard(reason);
    return viewFor(deps, clicker, current, { tone: 'attention', text: `Your ${action.verb === 'approve' ? 'approval' : 'denial'} was not recorded: ${reason}` });
  };
  try {
    const stepUp = cardDecisionRefusal(request);
    if (stepUp) throw stepUp;
    const decided = await decideRequest(deps, caller, action.requestId, { decision: action.verb, ...(action.comment ? { comment: action.comment } : {}) });
    return viewFor(deps, clicker, decided, decisionNotice(decided, action.verb));
  } catch (err) {
    const reason = refusalReason(err);
    if (reason === undefined) throw err;
    return refuse(reason);
  }
}

async function refresh(deps: Deps, clicker: Clicker, requestId: string): Promise<AdaptiveCardJson> {
  const request = await deps.requests.get(requestId);
  const caller: Caller = { id: clicker.objectId.toLowerCase(), name: clicker.name ?? clicker.objectId, roles: [], isAdmin: false };
  if (!request || !(await mayView(deps, caller, request))) return refusalCard(`Request ${requestId} does not exist, or you are not its requester or one of its approvers.`);
  return viewFor(deps, clicker, timeoutIfExpired(request, deps.clock.now()));
}

async function renew(deps: Deps, clicker: Clicker, action: Extract<CardAction, { verb: 'renew' }>): Promise<AdaptiveCardJson> {
  const caller = await callerOf(deps, clicker);
  try {
    const renewal = await renewGrant(deps, caller, action.grantId, { duration: action.duration, justification: action.justification });
    return renewalRequestedCard(renewal, deps.config.PUBLIC_BASE_URL);
  } catch (err) {
    const reason = refusalReason(err);
    if (reason === undefined) throw err;
    const grant = await deps.grants.get(action.grantId);
    if (!grant || !sameId(grant.principalId, caller.id)) return refusalCard(reason);
    return renewCardForGrant(deps.policies, grant, deps.clock.now(), { tone: 'attention', text: `Not renewed: ${reason}` });
  }
}

/** The request form, for a "request" message or after a refusal (with what was typed and why). */
export function requestFormCard(deps: Pick<Deps, 'policies'>, values?: Parameters<typeof renderRequestFormCard>[0]['values'], notice?: CardNotice): AdaptiveCardJson {
  return renderRequestFormCard({ catalog: requestableCatalog(deps.policies.policies), ...(values ? { values } : {}), ...(notice ? { notice } : {}) });
}

/** The form's submit: the same createRequest as the API; the answer is the request's card, or the form again with the reason. */
async function create(deps: Deps, clicker: Clicker, action: Extract<CardAction, { verb: 'createRequest' }>): Promise<AdaptiveCardJson> {
  const caller = await callerOf(deps, clicker);
  try {
    const request = await createRequest(deps, caller, { scope: action.resource ?? action.scope, role: action.role, duration: action.duration, justification: action.justification });
    const needed = request.requiredApprovals;
    return viewFor(deps, clicker, request, { tone: 'good', text: `Your request was sent: ${needed} approval${needed === 1 ? ' is' : 's are'} needed, and the approvers have been asked.` });
  } catch (err) {
    const reason = refusalReason(err);
    if (reason === undefined) throw err;
    const { verb: _verb, ...values } = action;
    return requestFormCard(deps, values, { tone: 'attention', text: `Not sent: ${reason}` });
  }
}

export async function answerCardAction(deps: Deps, clicker: Clicker, action: CardAction): Promise<AdaptiveCardJson> {
  switch (action.verb) {
    case 'approve':
    case 'deny':
      return decide(deps, clicker, action);
    case 'refreshCard':
      return refresh(deps, clicker, action.requestId);
    case 'renew':
      return renew(deps, clicker, action);
    case 'createRequest':
      return create(deps, clicker, action);
  }
}
