/**
 * My grants (`/grants`): the access I hold now with the time left, renew (a new, linked request
 * for more time, within the policy's limits) and give back early (ends the grant and removes the
 * role assignment). Ended grants on request.
 */
import { useState } from 'preact/hooks';
import type { Grant } from '../../shared/domain/grants/grant';
import type { CatalogEntry } from '../../shared/domain/policy/catalog';
import type { AccessRequest } from '../../shared/domain/requests/model';
import { get, post, type Page as ApiPage } from '../api';
import { durationChoices, formatInstant, scopeLabel, timeLeft } from '../format';
import { Field, Loader, NoticeView, Page, StatusBadge, describedBy, html, useAction, useId, useLoad, useNotice, useNow, type Notice } from '../ui';

type GrantView = Omit<Grant, 'pendingRemoval' | 'scopeKey' | 'type'>;

const HOUR = 3_600_000;

function renewalChoices(catalog: CatalogEntry[] | undefined, grant: GrantView) {
  const guid = grant.roleDefinitionId.split('/').pop()?.toLowerCase();
  const role = catalog?.find((e) => e.policyId === grant.policyId)?.roles.find((r) => r.roleDefinitionGuid === guid);
  return { choices: durationChoices(role?.minDurationMs, role?.maxDurationMs ?? 8 * HOUR), renewable: role?.renewable ?? true, justificationRequired: role?.justificationRequired ?? false };
}

function RenewForm(props: { grant: GrantView; catalog?: CatalogEntry[]; onDone: (n: Notice) => void }) {
  const { choices, renewable, justificationRequired } = renewalChoices(props.catalog, props.grant);
  const durationId = useId('renew-duration');
  const reasonId = useId('renew-justification');
  const [notice, setNotice] = useNotice();
  const [busy, act] = useAction(setNotice);
  if (!renewable) return html`<p>This role is not renewable under its policy: ask again when the grant ends.</p>`;
  const submit = (e: Event) => {
    e.preventDefault();
    void act(async () => {
      const duration = (document.getElementById(durationId) as HTMLSelectElement).value;
      const justification = (document.getElementById(reasonId) as HTMLTextAreaElement).value.trim();
      const renewal = await post<AccessRequest>(`/api/grants/${encodeURIComponent(props.grant.id)}/renew`, { duration, justification });
      props.onDone({ tone: 'good', text: html`Renewal requested: <a href=${`/requests/${encodeURIComponent(renewal.id)}`}>it needs ${renewal.requiredApprovals} approval${renewal.requiredApprovals === 1 ? '' : 's'}</a>.` });
    });
  };
  return html`<form class="inline-form" onSubmit=${submit}>
    <${Field} label="Extend by" id=${durationId}>
      <select id=${durationId}>${choices.map((c, i) => html`<option value=${c.value} selected=${i === choices.length - 1}>${c.label}</option>`)}</select>
    <//>
    <${Field} label="Why you still need it" id=${reasonId} required=${justificationRequired}>
      <textarea id=${reasonId} rows="2" maxlength="2000" required=${justificationRequired}></textarea>
    <//>
    <button type="submit" class="primary" disabled=${busy}>Ask for more time</button>
    <${NoticeView} notice=${notice} />
  </form>`;
}

function GiveBackForm(props: { grant: GrantView; onDone: (n: Notice) => void }) {
  const id = useId('give-back');
  const [notice, setNotice] = useNotice();
  const [busy, act] = useAction(setNotice);
  const submit = (e: Event) => {
    e.preventDefault();
    void act(async () => {
      const reason = (document.getElementById(id) as HTMLTextAreaElement).value.trim() || 'No longer needed';
      await post(`/api/grants/${encodeURIComponent(props.grant.id)}/revoke`, { reason });
      props.onDone({ tone: 'good', text: `You gave back ${props.grant.roleName} on ${scopeLabel(props.grant.scope)}: the role assignment is removed.` });
    });
  };
  return html`<form class="inline-form" onSubmit=${submit}>
    <${Field} label="Why you give it back" id=${id} hint="Recorded in the audit trail.">
      <textarea id=${id} rows="2" maxlength="2000" aria-describedby=${describedBy(id, 'hint')}>No longer needed</textarea>
    <//>
    <button type="submit" class="danger" disabled=${busy}>Give back now</button>
    <${NoticeView} notice=${notice} />
  </form>`;
}

function GrantCard(props: { grant: GrantView; now: Date; catalog?: CatalogEntry[]; onChanged: (n: Notice) => void }) {
  const g = props.grant;
  const [open, setOpen] = useState<'renew' | 'giveBack' | undefined>(undefined);
  const toggle = (what: 'renew' | 'giveBack') => setOpen(open === what ? undefined : what);
  const headingId = `grant-${g.id}`;
  return html`<article class="card" aria-labelledby=${headingId}>
    <h2 id=${headingId}>${g.roleName} on ${scopeLabel(g.scope)}</h2>
    <dl class="facts">
      <div><dt>Status</dt><dd><${StatusBadge} status=${g.status} /></dd></div>
      <div><dt>Time left</dt><dd>${g.status === 'active' ? html`<time datetime=${g.expiresAt}>${timeLeft(g.expiresAt, props.now)}</time>` : `ended ${formatInstant(g.endedAt ?? g.expiresAt)}${g.endReason ? ` (${g.endReason})` : ''}`}</dd></div>
      <div><dt>Scope</dt><dd><code class="scope">${g.scope}</code></dd></div>
      <div><dt>Since</dt><dd>${formatInstant(g.startsAt)}</dd></div>
      <div><dt>Approved by</dt><dd>${g.approvers.length ? g.approvers.map((a) => a.name).join(', ') : '—'}</dd></div>
      <div><dt>Request</dt><dd><a href=${`/requests/${encodeURIComponent(g.requestId)}`}>${g.requestId}</a></dd></div>
    </dl>
    ${g.status === 'active'
      ? html`<div class="buttons">
            <button type="button" aria-expanded=${open === 'renew'} onClick=${() => toggle('renew')}>Renew</button>
            <button type="button" aria-expanded=${open === 'giveBack'} onClick=${() => toggle('giveBack')}>Give back early</button>
          </div>
          ${open === 'renew' ? html`<${RenewForm} grant=${g} catalog=${props.catalog} onDone=${props.onChanged} />` : null}
          ${open === 'giveBack' ? html`<${GiveBackForm} grant=${g} onDone=${props.onChanged} />` : null}`
      : null}
  </article>`;
}

export function MyGrants() {
  const now = useNow(30_000);
  const [showEnded, setShowEnded] = useState(false);
  const state = useLoad(() => get<ApiPage<GrantView>>('/api/grants', showEnded ? { limit: 200 } : { status: 'active', limit: 200 }), [showEnded]);
  const catalog = useLoad(() => get<{ items: CatalogEntry[] }>('/api/catalog'), []);
  const [notice, setNotice] = useNotice();
  const changed = (n: Notice) => {
    setNotice(n);
    state.reload();
  };
  return html`<${Page} title="My grants" intro="The access you hold, and how long it lasts.">
    <${NoticeView} notice=${notice} />
    <p><label class="checkbox"><input type="checkbox" checked=${showEnded} onChange=${(e: Event) => setShowEnded((e.target as HTMLInputElement).checked)} /> Show ended grants too</label></p>
    <${Loader} state=${state} what="your grants">
      ${(page: ApiPage<GrantView>) => {
        const items = [...page.items].sort((a, b) => (a.status === 'active' ? 0 : 1) - (b.status === 'active' ? 0 : 1) || a.expiresAt.localeCompare(b.expiresAt));
        return items.length === 0
          ? html`<p>You hold no access through AccessManager right now. <a href="/request">Request access</a>.</p>`
          : items.map((g) => html`<${GrantCard} key=${g.id} grant=${g} now=${now} catalog=${catalog.data?.items} onChanged=${changed} />`);
      }}
    <//>
  <//>`;
}
