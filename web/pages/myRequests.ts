/** My requests (`/requests`, also `/`): what I asked for, where each stands, and cancel while pending. */
import type { AccessRequest } from '../../shared/domain/requests/model';
import { get, post, type Page as ApiPage } from '../api';
import { durationLabel, formatInstant, scopeLabel } from '../format';
import { ErrorAlert, Loading, NoticeView, Page, StatusBadge, html, useAction, useNotice, usePaged } from '../ui';
import { approvalsLine } from './requestDetail';

const PAGE_SIZE = 25;

export function MyRequests() {
  const list = usePaged((token) => get<ApiPage<AccessRequest>>('/api/requests', { mine: 'true', limit: PAGE_SIZE, continuationToken: token }), []);
  const [notice, setNotice] = useNotice();
  const [busy, act] = useAction(setNotice);
  const cancel = (r: AccessRequest) =>
    act(async () => {
      await post(`/api/requests/${encodeURIComponent(r.id)}/cancel`);
      setNotice({ tone: 'good', text: `Request for ${r.roleName} on ${scopeLabel(r.scope)} cancelled.` });
      list.reload();
    });
  const items = list.items;
  return html`<${Page} title="My requests" intro="Everything you asked for, newest first.">
    <p><a class="button primary" href="/request">Request access</a></p>
    <${NoticeView} notice=${notice} />
    ${list.error ? html`<${ErrorAlert} error=${list.error} />` : null}
    ${list.loading && items.length === 0
      ? html`<${Loading} what="your requests" />`
      : items.length === 0
        ? html`<p>You have not asked for anything yet.</p>`
        : html`<table>
            <caption class="visually-hidden">Your requests</caption>
            <thead><tr><th scope="col">Role</th><th scope="col">Scope</th><th scope="col">Duration</th><th scope="col">Status</th><th scope="col">Approvals</th><th scope="col">Requested</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
            <tbody>
              ${items.map(
                (r) => html`<tr>
                  <td><a href=${`/requests/${encodeURIComponent(r.id)}`}>${r.roleName}</a></td>
                  <td title=${r.scope}>${scopeLabel(r.scope)}</td>
                  <td>${durationLabel(r.duration)}</td>
                  <td><${StatusBadge} status=${r.status} /></td>
                  <td>${approvalsLine(r)}${r.approvals.length ? html`<br /><small>${r.approvals.map((a) => `${a.approverName} ${a.decision === 'approve' ? 'approved' : 'denied'}`).join(', ')}</small>` : null}</td>
                  <td>${formatInstant(r.createdAt)}</td>
                  <td>${r.status === 'pending' ? html`<button type="button" disabled=${busy} onClick=${() => cancel(r)} aria-label=${`Cancel the request for ${r.roleName} on ${scopeLabel(r.scope)}`}>Cancel</button>` : null}</td>
                </tr>`,
              )}
            </tbody>
          </table>`}
    ${list.hasMore ? html`<p><button type="button" disabled=${list.loading} onClick=${list.more}>Show more</button></p>` : null}
  <//>`;
}
