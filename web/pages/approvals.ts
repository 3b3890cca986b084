/**
 * Approvals (`/approvals`): the pending requests I may decide, each with approve and deny (a
 * denial needs a reason). Cards for step-up roles link to `/approvals/:id` (./requestDetail.ts).
 */
import type { AccessRequest } from '../../shared/domain/requests/model';
import { get, type Page as ApiPage } from '../api';
import { scopeLabel } from '../format';
import { Loader, NoticeView, Page, html, useLoad, useMe, useNotice, useNow, type Notice } from '../ui';
import { Decisions, RequestActions, RequestFacts } from './requestDetail';

export function Approvals() {
  const me = useMe();
  const now = useNow(30_000);
  const state = useLoad(() => get<ApiPage<AccessRequest>>('/api/requests', { approver: 'me', status: 'pending', limit: 100 }), []);
  const [notice, setNotice] = useNotice();
  const changed = (_r: AccessRequest, n: Notice) => {
    setNotice(n);
    state.reload();
  };
  return html`<${Page} title="Approvals" intro="Requests waiting for a decision you may make.">
    <${NoticeView} notice=${notice} />
    <${Loader} state=${state} what="requests waiting for you">
      ${(page: ApiPage<AccessRequest>) =>
        page.items.length === 0
          ? html`<p>Nothing is waiting for you.</p>`
          : page.items.map(
              (r) => html`<article class="card" aria-labelledby=${`req-${r.id}`}>
                <h2 id=${`req-${r.id}`}><a href=${`/approvals/${encodeURIComponent(r.id)}`}>${r.requester.name}: ${r.roleName} on ${scopeLabel(r.scope)}</a></h2>
                <${RequestFacts} request=${r} now=${now} />
                <h3>Decisions</h3>
                <${Decisions} request=${r} />
                <${RequestActions} request=${r} me=${me} onChanged=${changed} />
              </article>`,
            )}
    <//>
  <//>`;
}
