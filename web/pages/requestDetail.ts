/**
 * One request (`/requests/:id`, and `/approvals/:id` where approval cards link): its facts, the
 * decisions so far and what is still needed, and what the viewer may do now: the requester
 * cancels, an approver who has not decided approves or denies (a denial needs a reason). Roles
 * with step-up approval (`approvalChannel: web`) are decided here, never from Teams.
 */
import type { AccessRequest } from '../../shared/domain/requests/model';
import { get, post } from '../api';
import { durationLabel, formatInstant, scopeLabel, timeLeft } from '../format';
import type { Me } from '../session';
import { Alert, Facts, Field, Loader, NoticeView, Page, StatusBadge, describedBy, html, useAction, useId, useLoad, useMe, useNotice, useNow, type Notice } from '../ui';

const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

export function approvalsLine(r: AccessRequest): string {
  const approved = new Set(r.approvals.filter((a) => a.decision === 'approve').map((a) => a.approverId.toLowerCase())).size;
  return `${approved} of ${r.requiredApprovals}`;
}

/** Where the request stands, in words. */
export function standing(r: AccessRequest): string {
  const approved = new Set(r.approvals.filter((a) => a.decision === 'approve').map((a) => a.approverId.toLowerCase())).size;
  switch (r.status) {
    case 'pending': {
      const needed = Math.max(0, r.requiredApprovals - approved);
      return `Waiting for approval: ${approved} of ${r.requiredApprovals}; ${needed} more needed.`;
    }
    case 'approved':
      return r.fulfilled === false ? 'Approved: access is being granted.' : 'Approved: access granted.';
    case 'denied': {
      const denial = r.approvals.find((a) => a.decision === 'deny');
      return `Denied${denial ? ` by ${denial.approverName}${denial.comment ? `: ${denial.comment}` : ''}` : ''}.`;
    }
    case 'cancelled':
      return 'Cancelled by the requester.';
    case 'timedOut':
      return `Timed out at ${formatInstant(r.expiresAt)} without enough approvals.`;
    case 'failed':
      return `Approved, but access could not be granted${r.failureReason ? `: ${r.failureReason}` : ''}.`;
  }
}

export function RequestFacts(props: { request: AccessRequest; now: Date }) {
  const r = props.request;
  return html`<${Facts}
    items=${[
      ['Status', html`<${StatusBadge} status=${r.status} /> ${standing(r)}`],
      ['Requester', r.requester.name],
      ['For', same(r.principalId, r.requester.id) ? undefined : r.principalId],
      ['Role', `${r.roleName}${r.exception ? ' (exception)' : ''}`],
      ['Scope', html`<span title=${r.scope}>${scopeLabel(r.scope)}</span> <code class="scope">${r.scope}</code>`],
      ['Duration', `${durationLabel(r.duration)} (${r.duration}), from the time of the grant`],
      ['Justification', r.justification || '(none given)'],
      ['Policy', r.policyId],
      ['Approval', r.approvalChannel === 'web' ? 'in the browser (step-up)' : 'in Teams or here'],
      ['Requested', formatInstant(r.createdAt)],
      ['Times out', r.status === 'pending' ? timeLeft(r.expiresAt, props.now) : undefined],
      ['Grant', r.grantId ? html`<a href="/grants">${r.grantId}</a>` : undefined],
      ['Request id', html`<code>${r.id}</code>`],
    ]}
  />`;
}

export function Decisions(props: { request: AccessRequest }) {
  const decisions = props.request.approvals;
  if (decisions.length === 0) return html`<p>No decisions yet.</p>`;
  return html`<ul class="decisions">
    ${decisions.map(
      (a) => html`<li>
        <strong>${a.approverName || a.approverId}</strong> ${a.decision === 'approve' ? 'approved' : 'denied'} at ${formatInstant(a.at)}${a.comment ? html`: <q>${a.comment}</q>` : null}
      </li>`,
    )}
  </ul>`;
}

/** Approve (comment optional) or deny (reason required), for an approver who has not decided. */
export function DecisionForm(props: { request: AccessRequest; onDecided: (r: AccessRequest, notice: Notice) => void }) {
  const r = props.request;
  const id = useId('decision');
  const [notice, setNotice] = useNotice();
  const [problem, setProblem] = useNotice();
  const [busy, act] = useAction(setNotice);
  const text = () => (document.getElementById(id) as HTMLTextAreaElement | null)?.value.trim() ?? '';
  const decide = (decision: 'approve' | 'deny') =>
    act(async () => {
      const comment = text();
      setProblem(undefined);
      if (decision === 'deny' && !comment) {
        setProblem({ tone: 'error', text: 'Write why you deny: the requester sees it.' });
        document.getElementById(id)?.focus();
        return;
      }
      const path = `/api/requests/${encodeURIComponent(r.id)}/${decision}`;
      const decided = await post<AccessRequest>(path, decision === 'deny' ? { reason: comment } : comment ? { comment } : {});
      props.onDecided(decided, { tone: 'good', text: decision === 'deny' ? 'You denied this request. The requester has been told.' : `You approved. ${standing(decided)}` });
    });
  const problemText = typeof problem?.text === 'string' ? problem.text : undefined;
  return html`<form class="decision" onSubmit=${(e: Event) => e.preventDefault()}>
    ${r.approvalChannel === 'web' ? html`<${Alert} tone="warning">This role needs step-up approval: it can only be approved here, in the browser, where your organisation's sign-in policies apply.<//>` : null}
    <${Field} label="Comment, or the reason for a denial" id=${id} hint="Optional to approve; required to deny." problem=${problemText}>
      <textarea id=${id} rows="2" maxlength="2000" aria-describedby=${describedBy(id, 'hint', problemText)} aria-invalid=${problemText ? 'true' : undefined}></textarea>
    <//>
    <div class="buttons">
      <button type="button" class="primary" disabled=${busy} onClick=${() => decide('approve')}>Approve</button>
      <button type="button" class="danger" disabled=${busy} onClick=${() => decide('deny')}>Deny</button>
    </div>
    <${NoticeView} notice=${notice} />
  </form>`;
}

/** What the viewer may do with the request. */
export function RequestActions(props: { request: AccessRequest; me: Me; onChanged: (r: AccessRequest, notice: Notice) => void }) {
  const { request: r, me } = props;
  const [notice, setNotice] = useNotice();
  const [busy, act] = useAction(setNotice);
  if (r.status !== 'pending') return null;
  const mine = same(r.requester.id, me.id) || same(r.principalId, me.id);
  if (mine) {
    const cancel = () =>
      act(async () => {
        const cancelled = await post<AccessRequest>(`/api/requests/${encodeURIComponent(r.id)}/cancel`);
        props.onChanged(cancelled, { tone: 'good', text: 'Request cancelled.' });
      });
    return html`<div class="buttons">
      <p>This is your request: the approvers decide.</p>
      <button type="button" disabled=${busy} onClick=${cancel}>Cancel this request</button>
      <${NoticeView} notice=${notice} />
    </div>`;
  }
  const mineDecision = r.approvals.find((a) => same(a.approverId, me.id));
  if (mineDecision) return html`<p>You ${mineDecision.decision === 'approve' ? 'approved' : 'denied'} this at ${formatInstant(mineDecision.at)}.</p>`;
  return html`<${DecisionForm} request=${r} onDecided=${props.onChanged} />`;
}

export function RequestDetail(props: { id: string; context: 'mine' | 'approvals'; created?: boolean }) {
  const me = useMe();
  const now = useNow(30_000);
  const state = useLoad(() => get<AccessRequest>(`/api/requests/${encodeURIComponent(props.id)}`), [props.id]);
  const [changed, setChanged] = useNotice();
  return html`<${Page} title=${props.context === 'approvals' ? 'Approve a request' : 'Request'}>
    ${props.created ? html`<${Alert} tone="good">Request sent. The approvers have been asked; you will hear in Teams when it is decided.<//>` : null}
    <${NoticeView} notice=${changed} />
    <${Loader} state=${state} what="the request">
      ${(r: AccessRequest) => html`
        <article class="card">
          <h2>${r.roleName} on ${scopeLabel(r.scope)}</h2>
          <${RequestFacts} request=${r} now=${now} />
          <h3>Decisions</h3>
          <${Decisions} request=${r} />
          <${RequestActions}
            request=${r}
            me=${me}
            onChanged=${(_updated: AccessRequest, notice: Notice) => {
              setChanged(notice);
              state.reload();
            }}
          />
        </article>
      `}
    <//>
    <p><a href=${props.context === 'approvals' ? '/approvals' : '/requests'}>${props.context === 'approvals' ? 'All requests waiting for me' : 'All my requests'}</a></p>
  <//>`;
}
