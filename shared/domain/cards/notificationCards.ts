/**
 * The other cards AccessManager sends: plain notices (approved, granted, expired, revoked,
 * security alerts), the expiry warning with its Renew action, the answer to a renewal, and
 * the bare refusal shown to someone who may not see a request. Pure builders.
 */
import { roleDefinitionGuid } from '../armIds';
import type { Grant } from '../grants/grant';
import type { PolicySet } from '../policy';
import { findPolicyRole } from '../policy/policySet';
import type { AccessRequest } from '../requests/model';
import { formatDuration } from '../policy/duration';
import { MAX_TEXT_LENGTH, requestDurationMs, scopeLabel } from '../requests/rules';
import { card, choiceInput, container, execute, facts, openUrl, text, textInput, type AdaptiveCardJson, type CardElement, type Fact } from './adaptiveCard';
import { CARD_VERBS, requestUrl, type CardNotice } from './approvalCard';
import { formatInstant, humanDuration, timeLeft } from './cardFormat';

export const RENEW_INPUTS = { duration: 'duration', justification: 'justification' } as const;

export interface NoticeCardInput {
  subject: string;
  text: string;
  tone?: CardNotice['tone'];
  /** A link to the request or grant the notice is about. */
  link?: { title: string; url: string };
}

export function noticeCard(input: NoticeCardInput): AdaptiveCardJson {
  const body: CardElement[] = [text(input.subject, { size: 'medium', weight: 'bolder', ...(input.tone ? { color: input.tone } : {}) }), text(input.text)];
  return card(body, input.link ? [openUrl(input.link.title, input.link.url)] : []);
}

/** Shown to a clicker who may not see the request (not its requester nor an approver): the reason, nothing about the request. */
export function refusalCard(reason: string): AdaptiveCardJson {
  return card([container([text('Not done', { weight: 'bolder', color: 'attention' }), text(reason)], 'attention')]);
}

export interface RenewChoice {
  /** ISO 8601 duration sent back as the action's `duration`. */
  value: string;
  ms: number;
}

export interface RenewCardInput {
  grant: Pick<Grant, 'id' | 'roleName' | 'scope' | 'expiresAt' | 'status'>;
  now: Date;
  /** Durations the policy allows for a renewal, shortest first; empty when the role is not renewable. */
  choices: RenewChoice[];
  /** Preselected duration (one of `choices`). */
  preferred?: string;
  justificationRequired: boolean;
  notice?: CardNotice;
}

/** Durations a renewal card offers: a ladder of usual lengths within the policy's limits, and the maximum itself. */
export function renewChoices(minMs: number | undefined, maxMs: number): RenewChoice[] {
  const ladder = [30, 60, 120, 240, 480, 1440, 4320, 10080].map((minutes) => minutes * 60_000);
  const allowed = ladder.filter((ms) => ms <= maxMs && (minMs === undefined || ms >= minMs));
  if (!allowed.includes(maxMs)) allowed.push(maxMs);
  return allowed.map((ms) => ({ value: formatDuration(ms), ms }));
}

/** The warning before a grant ends, with a Renew action that opens a renewal request. */
export function renewCard(input: RenewCardInput): AdaptiveCardJson {
  const { grant } = input;
  const body: CardElement[] = [];
  if (input.notice) body.push(container([text(input.notice.text, { weight: 'bolder', color: input.notice.tone })], input.notice.tone));
  body.push(text(`Access ending soon: ${grant.roleName}`, { size: 'medium', weight: 'bolder' }));
  const list: Fact[] = [
    { title: 'Role', value: grant.roleName },
    { title: 'Scope', value: `${scopeLabel(grant.scope)} (${grant.scope})` },
    { title: 'Ends', value: grant.status === 'active' ? timeLeft(grant.expiresAt, input.now) : `${grant.status} (${formatInstant(grant.expiresAt)})` },
    { title: 'Grant', value: grant.id },
  ];
  body.push(facts(list));
  if (grant.status !== 'active') {
    body.push(text('This grant has ended; request access again if you still need it.', { subtle: true }));
    return card(body);
  }
  if (input.choices.length === 0) {
    body.push(text('This role is not renewable under its policy: make a new request when the grant ends.', { subtle: true }));
    return card(body);
  }
  const preferred = input.choices.find((c) => c.value === input.preferred)?.value ?? input.choices[input.choices.length - 1]!.value;
  body.push(
    text('Renewing asks the approvers again; on approval the same grant is extended.', { subtle: true }),
    choiceInput(RENEW_INPUTS.duration, 'Extend by', input.choices.map((c) => ({ title: humanDuration(c.ms), value: c.value })), preferred),
    textInput(RENEW_INPUTS.justification, input.justificationRequired ? 'Justification (required)' : 'Justification', 'What you still need the access for', MAX_TEXT_LENGTH),
  );
  return card(body, [execute(CARD_VERBS.renew, 'Renew', { grantId: grant.id }, 'positive')]);
}

/** The renewal card of a grant, with the choices its policy allows today. */
export function renewCardForGrant(policies: PolicySet, grant: Grant, now: Date, notice?: CardNotice): AdaptiveCardJson {
  const policy = policies.byId(grant.policyId) ?? policies.governing(grant.scope);
  const guid = roleDefinitionGuid(grant.roleDefinitionId);
  const role = policy && guid ? findPolicyRole(policy, guid) : undefined;
  const choices = role?.renewable ? renewChoices(role.minDurationMs, role.maxDurationMs) : [];
  const lastLength = Date.parse(grant.expiresAt) - Date.parse(grant.startsAt);
  return renewCard({
    grant,
    now,
    choices,
    ...(Number.isFinite(lastLength) && lastLength > 0 ? { preferred: formatDuration(lastLength) } : {}),
    justificationRequired: role?.justification.required ?? true,
    ...(notice ? { notice } : {}),
  });
}

/** The answer to a Renew click: the renewal request now waits for its approvers. */
export function renewalRequestedCard(request: AccessRequest, publicBaseUrl: string): AdaptiveCardJson {
  return noticeCard({
    subject: `Renewal requested: ${request.roleName}`,
    text: `Request ${request.id} asks to extend grant ${request.renewsGrantId ?? ''} by ${humanDuration(requestDurationMs(request))} (${request.duration}) on ${scopeLabel(request.scope)}. It needs ${request.requiredApprovals} approval${request.requiredApprovals === 1 ? '' : 's'}; the approvers have been asked.`,
    tone: 'good',
    link: { title: 'Open the request', url: requestUrl(publicBaseUrl, request.id) },
  });
}
