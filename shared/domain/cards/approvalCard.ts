/**
 * The approval card of an access request, rendered from the stored request for one viewer:
 * an approver who has not decided gets the buttons (or, for roles that need step-up, only a
 * link to the browser), everyone else sees the same facts and where the request stands.
 * Pure: the same request, viewer and clock always give the same card.
 */
import { sameId } from '../armIds';
import type { AccessRequest } from '../requests/model';
import { approvalsNeeded, distinctApprovers, MAX_TEXT_LENGTH, requestDurationMs, scopeLabel, timeoutIfExpired } from '../requests/rules';
import { card, container, execute, facts, MAX_REFRESH_USERS, openUrl, text, textInput, type AdaptiveCardJson, type CardElement, type Fact, type TextColor } from './adaptiveCard';
import { formatInstant, humanDuration, timeLeft } from './cardFormat';
import { needFacts, needVerdict } from './needSection';

/** Verbs of the approval card's Action.Execute buttons and of its automatic refresh. */
export const CARD_VERBS = { approve: 'approve', deny: 'deny', refresh: 'refreshCard', renew: 'renew', createRequest: 'createRequest' } as const;
/** Id of the comment input; Teams merges input values into the action's data under this name. */
export const COMMENT_INPUT_ID = 'comment';

export interface CardNotice {
  tone: 'good' | 'attention' | 'warning';
  text: string;
}

/** Who the copy of the card is for: one person in a 1:1 chat, or everyone in a channel. */
export type CardViewer = { kind: 'person'; objectId: string } | { kind: 'channel' };

export interface ApprovalCardView {
  request: AccessRequest;
  now: Date;
  /** Base of the links on the card (PUBLIC_BASE_URL). */
  publicBaseUrl: string;
  viewer: CardViewer;
  /** Teams user ids (MRIs) whose clients re-fetch the card when they show it (Universal Actions refresh). */
  refreshUserIds: string[];
  /** Display name of the principal, when someone asked on their behalf. */
  principalName?: string;
  /** Shown first: what the viewer's click did, or why it was refused. */
  notice?: CardNotice;
}

/** The portal's page of a request (its requester, approvers and admins all see it there). */
export function requestUrl(publicBaseUrl: string, requestId: string): string {
  return `${publicBaseUrl.replace(/\/+$/, '')}/requests/${encodeURIComponent(requestId)}`;
}

/** The portal's approval page of a request: where a step-up approval happens, with the tenant's sign-in policies. */
export function approvalUrl(publicBaseUrl: string, requestId: string): string {
  return `${publicBaseUrl.replace(/\/+$/, '')}/approvals/${encodeURIComponent(requestId)}`;
}

/** One line saying where the request stands, and the colour to show it in. */
export function statusLine(request: AccessRequest, now: Date): { text: string; color: TextColor } {
  const shown = timeoutIfExpired(request, now);
  const have = distinctApprovers(shown).length;
  switch (shown.status) {
    case 'pending':
      return { text: `Waiting for approval: ${have} of ${shown.requiredApprovals} approvals`, color: 'accent' };
    case 'approved':
      if (shown.kind === 'guardrailException') {
        return { text: shown.fulfilled === false ? 'Approved: putting the exception in force now' : 'Approved: the exception is in force', color: 'good' };
      }
      return shown.fulfilled === false
        ? { text: 'Approved: granting access now', color: 'good' }
        : { text: `Approved: access granted${shown.grantId ? ` (grant ${shown.grantId})` : ''}`, color: 'good' };
    case 'denied': {
      const denial = shown.approvals.find((a) => a.decision === 'deny');
      return { text: `Denied${denial ? ` by ${denial.approverName}${denial.comment ? `: ${denial.comment}` : ''}` : ''}`, color: 'attention' };
    }
    case 'cancelled':
      return { text: `Cancelled by the requester${shown.resolvedAt ? ` at ${formatInstant(shown.resolvedAt)}` : ''}`, color: 'warning' };
    case 'timedOut':
      return { text: `Timed out at ${formatInstant(shown.expiresAt)} without enough approvals`, color: 'warning' };
    case 'failed':
      return { text: `Approved, but access could not be granted${shown.failureReason ? `: ${shown.failureReason}` : ''}`, color: 'attention' };
  }
}

/** A guardrail exception: which setting may hold which value, where, for how long, and what protects the resource meanwhile. */
function exceptionFacts(request: AccessRequest, view: ApprovalCardView): Fact[] {
  const ask = request.guardrail!;
  return [
    { title: 'Requester', value: request.requester.name },
    { title: 'Exception', value: `${ask.property} may be ${String(ask.allowedValue)} (the guardrail requires ${String(ask.requiredValue)})` },
    { title: 'Resource', value: `${scopeLabel(request.scope)} (${request.scope})` },
    { title: 'Duration', value: `${humanDuration(requestDurationMs(request))} (${request.duration}), from the approval` },
    { title: 'Justification', value: request.justification || '(none given)' },
    { title: 'Compensating control', value: ask.compensatingControl },
    { title: 'Policy', value: request.policyId },
    ...(request.status === 'pending' ? [{ title: 'Times out', value: timeLeft(request.expiresAt, view.now) }] : []),
    { title: 'Request', value: request.id },
  ];
}

function requestFacts(request: AccessRequest, view: ApprovalCardView): Fact[] {
  if (request.kind === 'guardrailException' && request.guardrail) return exceptionFacts(request, view);
  const list: Fact[] = [{ title: 'Requester', value: request.requester.name }];
  if (!sameId(request.principalId, request.requester.id)) list.push({ title: 'For', value: view.principalName ? `${view.principalName} (${request.principalId})` : request.principalId });
  list.push(
    { title: 'Role', value: request.roleName },
    ...needFacts(request),
    { title: 'Scope', value: `${scopeLabel(request.scope)} (${request.scope})` },
    { title: 'Duration', value: `${humanDuration(requestDurationMs(request))} (${request.duration}), from the time of the grant` },
    { title: 'Justification', value: request.justification || '(none given)' },
    { title: 'Policy', value: request.exception ? `${request.policyId}, as an exception` : request.policyId },
  );
  if (request.renewsGrantId) list.push({ title: 'Renews', value: `grant ${request.renewsGrantId}` });
  if (request.status === 'pending') list.push({ title: 'Times out', value: timeLeft(request.expiresAt, view.now) });
  list.push({ title: 'Request', value: request.id });
  return list;
}

function decisionsSection(request: AccessRequest): CardElement[] {
  if (request.approvals.length === 0) return [text('No approvals yet.', { subtle: true })];
  return [
    text('Decisions so far', { weight: 'bolder', spacing: 'medium' }),
    facts(
      request.approvals.map((a) => ({
        title: a.approverName || a.approverId,
        value: `${a.decision === 'approve' ? 'approved' : 'denied'} at ${formatInstant(a.at)}${a.comment ? `: "${a.comment}"` : ''}`,
      })),
    ),
  ];
}

/** What this viewer may do on the card: decide, go to the browser, or only read. */
function viewerPart(request: AccessRequest, view: ApprovalCardView): { body: CardElement[]; actions: CardElement[] } {
  if (request.status !== 'pending') return { body: [], actions: [] };
  if (view.viewer.kind === 'person') {
    const me = view.viewer.objectId;
    if (sameId(me, request.requester.id) || sameId(me, request.principalId)) {
      return { body: [text('This is your request: the approvers decide.', { subtle: true })], actions: [] };
    }
    const mine = request.approvals.find((a) => sameId(a.approverId, me));
    if (mine) return { body: [text(`You ${mine.decision === 'approve' ? 'approved' : 'denied'} this at ${formatInstant(mine.at)}.`, { color: 'good' })], actions: [] };
  }
  if (request.approvalChannel === 'web') {
    return {
      body: [text('This role needs step-up approval: approve in the browser, where sign-in policies such as MFA apply. It cannot be approved from Teams.', { color: 'warning' })],
      actions: [openUrl('Approve in the browser', approvalUrl(view.publicBaseUrl, request.id))],
    };
  }
  const data = { requestId: request.id };
  return {
    body: [textInput(COMMENT_INPUT_ID, 'Comment (required to deny)', 'Why you approve or deny', MAX_TEXT_LENGTH)],
    actions: [execute(CARD_VERBS.approve, 'Approve', data, 'positive'), execute(CARD_VERBS.deny, 'Deny', data, 'destructive')],
  };
}

export function renderApprovalCard(view: ApprovalCardView): AdaptiveCardJson {
  const request = timeoutIfExpired(view.request, view.now);
  const status = statusLine(request, view.now);
  const needed = approvalsNeeded(request);
  const body: CardElement[] = [];
  if (view.notice) body.push(container([text(view.notice.text, { weight: 'bolder', color: view.notice.tone })], view.notice.tone));
  body.push(text(request.kind === 'guardrailException' ? request.roleName : `Access request: ${request.roleName}${request.exception ? ' (exception)' : ''}`, { size: 'large', weight: 'bolder' }));
  body.push(text(status.text, { color: status.color, weight: 'bolder', spacing: 'none' }));
  body.push(facts(requestFacts(request, view)));
  body.push(...needVerdict(request));
  body.push(...decisionsSection(request));
  if (request.status === 'pending') body.push(text(`Still needed: ${needed} more approval${needed === 1 ? '' : 's'}.`, { weight: 'bolder' }));
  const mine = viewerPart(request, view);
  body.push(...mine.body);
  const userIds = [...new Set(view.refreshUserIds)].slice(0, MAX_REFRESH_USERS);
  return card(body, mine.actions, { action: execute(CARD_VERBS.refresh, 'Refresh', { requestId: request.id }), userIds });
}

/**
 * The name to show for the person who would get the role, when someone else asked for it;
 * undefined when they asked for themselves or the directory does not answer (a card never waits on it).
 */
export async function principalNameOf(
  directory: { getUser(id: string): Promise<{ userPrincipalName?: string; displayName?: string } | undefined> },
  request: Pick<AccessRequest, 'principalId' | 'requester'>,
): Promise<string | undefined> {
  if (request.principalId.toLowerCase() === request.requester.id.toLowerCase()) return undefined;
  const user = await directory.getUser(request.principalId).catch(() => undefined);
  return user?.userPrincipalName ?? user?.displayName;
}
