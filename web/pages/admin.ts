/**
 * Admin (`/admin/:section`, AccessManager.Admin only): live access, the audit trail and
 * enforcement. Sections are a list (ADMIN_SECTIONS): a new one (guardrails, health details) is
 * one entry and one component.
 */
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { toCsv } from '../../cli/output';
import { accessCsvColumns, auditCsvColumns, justification } from '../../cli/views';
import type { AccessItem } from '../../shared/domain/access/accessView';
import type { AuditRecord } from '../../shared/domain/audit/record';
import type { PolicyEnforcement } from '../../shared/domain/enforcement/status';
import { allPages, get, post, type Page as ApiPage } from '../api';
import { formatInstant, scopeLabel } from '../format';
import { Alert, Field, Loader, Loading, ErrorAlert, NoticeView, Page, StatusBadge, html, useAction, useId, useLoad, useMe, useNotice } from '../ui';

export interface AdminSection {
  path: string;
  title: string;
  view: () => ComponentChildren;
}

export const ADMIN_SECTIONS: AdminSection[] = [
  { path: 'access', title: 'Live access', view: () => html`<${AccessSection} />` },
  { path: 'audit', title: 'Audit trail', view: () => html`<${AuditSection} />` },
  { path: 'enforcement', title: 'Enforcement', view: () => html`<${EnforcementSection} />` },
];

/** Saves text as a file through the browser (no server round trip; the data came from the API). */
function download(name: string, type: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

const stamp = () => new Date().toISOString().replace(/[:.]/g, '-');

function formValues(form: HTMLFormElement): Record<string, string> {
  const values: Record<string, string> = {};
  new FormData(form).forEach((v, k) => {
    if (typeof v === 'string' && v.trim()) values[k] = v.trim();
  });
  return values;
}

function AccessSection() {
  const [filter, setFilter] = useState<{ scope?: string; principal?: string; status?: string }>({});
  const state = useLoad(() => get<{ items: AccessItem[] }>('/api/access', { scope: filter.scope }), [filter.scope]);
  const ids = { scope: useId('access-scope'), principal: useId('access-principal'), status: useId('access-status') };
  const shown = (items: AccessItem[]) =>
    items.filter(
      (i) =>
        (!filter.status || i.status === filter.status) &&
        (!filter.principal || i.principalId.toLowerCase().includes(filter.principal.toLowerCase()) || (i.principalName ?? '').toLowerCase().includes(filter.principal.toLowerCase())),
    );
  return html`<section aria-labelledby="access-title">
    <h2 id="access-title">Live access</h2>
    <p>Every role assignment in Azure right now, with the grant, exemption or verdict behind it.</p>
    <form class="filters" onSubmit=${(e: Event) => {
      e.preventDefault();
      setFilter(formValues(e.currentTarget as HTMLFormElement));
    }}>
      <${Field} label="Scope" id=${ids.scope}><input id=${ids.scope} name="scope" type="text" placeholder="/subscriptions/…/resourceGroups/…" spellcheck="false" /><//>
      <${Field} label="Principal (object id or name)" id=${ids.principal}><input id=${ids.principal} name="principal" type="text" /><//>
      <${Field} label="Status" id=${ids.status}>
        <select id=${ids.status} name="status"><option value="">any</option><option value="granted">granted</option><option value="exempt">exempt</option><option value="unapproved">unapproved</option><option value="ungoverned">ungoverned</option></select>
      <//>
      <button type="submit">Filter</button>
    </form>
    <${Loader} state=${state} what="live access">
      ${(data: { items: AccessItem[] }) => {
        const items = shown(data.items);
        return html`<p>${items.length} of ${data.items.length} assignment${data.items.length === 1 ? '' : 's'}.
            <button type="button" class="link" onClick=${() => download(`access-${stamp()}.csv`, 'text/csv', toCsv(items, accessCsvColumns))}>Export CSV</button></p>
          <div class="table-wrap"><table>
            <caption class="visually-hidden">Live role assignments</caption>
            <thead><tr><th scope="col">Status</th><th scope="col">Principal</th><th scope="col">Role</th><th scope="col">Scope</th><th scope="col">Expires</th><th scope="col">Why</th></tr></thead>
            <tbody>
              ${items.map(
                (i) => html`<tr>
                  <td><${StatusBadge} status=${i.status} /></td>
                  <td>${i.principalName ?? i.principalId}</td>
                  <td>${i.roleName}</td>
                  <td title=${i.scope}>${scopeLabel(i.scope)}</td>
                  <td>${i.grant ? formatInstant(i.grant.expiresAt) : ''}</td>
                  <td>${justification(i)}</td>
                </tr>`,
              )}
            </tbody>
          </table></div>`;
      }}
    <//>
  </section>`;
}

const AUDIT_PAGE = 50;
const AUDIT_FILTERS: Array<[string, string, string]> = [
  ['principalId', 'Principal (object id)', ''],
  ['scope', 'Scope (and below)', '/subscriptions/…'],
  ['action', 'Action', 'e.g. grant.created'],
  ['requestId', 'Request id', ''],
  ['grantId', 'Grant id', ''],
];

function AuditSection() {
  const [filter, setFilter] = useState<Record<string, string>>({});
  /** Tokens of the pages before this one, so "Newer" can go back. */
  const [tokens, setTokens] = useState<Array<string | undefined>>([undefined]);
  const token = tokens[tokens.length - 1];
  const state = useLoad(() => get<ApiPage<AuditRecord>>('/api/audit', { ...filter, limit: AUDIT_PAGE, continuationToken: token }), [JSON.stringify(filter), token]);
  const [notice, setNotice] = useNotice();
  const [busy, act] = useAction(setNotice);
  const prefix = useId('audit');
  const exportAs = (format: 'csv' | 'json') =>
    act(async () => {
      setNotice({ tone: 'info', text: 'Exporting every matching record…' });
      const records = await allPages<AuditRecord>('/api/audit', filter, 500);
      if (format === 'csv') download(`audit-${stamp()}.csv`, 'text/csv', toCsv(records, auditCsvColumns));
      else download(`audit-${stamp()}.json`, 'application/json', `${JSON.stringify(records, null, 2)}\n`);
      setNotice({ tone: 'good', text: `Exported ${records.length} record${records.length === 1 ? '' : 's'} as ${format.toUpperCase()}.` });
    });
  const verify = () =>
    act(async () => {
      const result = await get<{ ok: boolean; checked: number; chains?: number; firstBadId?: string; problem?: string }>('/api/audit/verify');
      setNotice(
        result.ok
          ? { tone: 'good', text: `Audit trail verified: ${result.checked} records in ${result.chains ?? '?'} chains, no tampering detected.` }
          : { tone: 'error', text: `Verification FAILED at record ${result.firstBadId ?? '?'}: ${result.problem ?? 'no detail'} (${result.checked} records checked).` },
      );
    });
  const toIso = (local: string | undefined) => (local ? new Date(local).toISOString() : undefined);
  return html`<section aria-labelledby="audit-title">
    <h2 id="audit-title">Audit trail</h2>
    <form class="filters" onSubmit=${(e: Event) => {
      e.preventDefault();
      const values = formValues(e.currentTarget as HTMLFormElement);
      const from = toIso(values.from);
      const to = toIso(values.to);
      setFilter({ ...values, ...(from ? { from } : {}), ...(to ? { to } : {}) });
      setTokens([undefined]);
    }}>
      ${AUDIT_FILTERS.map(([name, label, placeholder]) => html`<${Field} label=${label} id=${`${prefix}-${name}`}><input id=${`${prefix}-${name}`} name=${name} type="text" placeholder=${placeholder} spellcheck="false" /><//>`)}
      <${Field} label="From" id=${`${prefix}-from`}><input id=${`${prefix}-from`} name="from" type="datetime-local" /><//>
      <${Field} label="To" id=${`${prefix}-to`}><input id=${`${prefix}-to`} name="to" type="datetime-local" /><//>
      <button type="submit">Search</button>
    </form>
    <div class="buttons">
      <button type="button" disabled=${busy} onClick=${() => exportAs('csv')}>Export CSV</button>
      <button type="button" disabled=${busy} onClick=${() => exportAs('json')}>Export JSON</button>
      <button type="button" disabled=${busy} onClick=${verify}>Verify the chain</button>
    </div>
    <${NoticeView} notice=${notice} />
    ${state.error ? html`<${ErrorAlert} error=${state.error} />` : null}
    ${state.loading && !state.data ? html`<${Loading} what="audit records" />` : null}
    ${state.data
      ? html`<div class="table-wrap"><table>
            <caption class="visually-hidden">Audit records, newest first</caption>
            <thead><tr><th scope="col">At</th><th scope="col">Action</th><th scope="col">Actor</th><th scope="col">Principal</th><th scope="col">Scope</th><th scope="col">Request</th><th scope="col">Reason</th></tr></thead>
            <tbody>
              ${state.data.items.map(
                (r) => html`<tr>
                  <td>${formatInstant(r.at)}</td>
                  <td><code>${r.action}</code></td>
                  <td>${r.actor.name ?? r.actor.id ?? r.actor.appId ?? ''}</td>
                  <td>${r.principalId ?? ''}</td>
                  <td title=${r.scope ?? ''}>${r.scope ? scopeLabel(r.scope) : ''}</td>
                  <td>${r.requestId ? html`<a href=${`/requests/${encodeURIComponent(r.requestId)}`}>${r.requestId.slice(0, 8)}…</a>` : ''}</td>
                  <td>${r.reason ?? ''}</td>
                </tr>`,
              )}
            </tbody>
          </table></div>
          ${state.data.items.length === 0 ? html`<p>No record matches.</p>` : null}
          <nav class="pager" aria-label="Audit pages">
            <button type="button" disabled=${tokens.length <= 1} onClick=${() => setTokens(tokens.slice(0, -1))}>Newer</button>
            <span>Page ${tokens.length}</span>
            <button type="button" disabled=${!state.data.continuationToken} onClick=${() => setTokens([...tokens, state.data?.continuationToken ?? undefined])}>Older</button>
          </nav>`
      : null}
  </section>`;
}

interface HealthReport {
  status: string;
  problems?: Array<{ code?: string; message?: string }>;
  [key: string]: unknown;
}

function EnforcementSection() {
  const state = useLoad(() => get<{ items: PolicyEnforcement[] }>('/api/enforcement'), []);
  const health = useLoad(() => fetch('/api/health', { headers: { accept: 'application/json' } }).then((r) => r.json() as Promise<HealthReport>), []);
  const [notice, setNotice] = useNotice();
  const [busy, act] = useAction(setNotice);
  const reset = (policyId: string) =>
    act(async () => {
      const result = await post<{ reset: boolean }>('/api/enforcement/reset', { policyId });
      setNotice({ tone: 'good', text: result.reset ? `Enforcement of ${policyId} resumed.` : `${policyId} was not tripped: nothing to reset.` });
      state.reload();
    });
  return html`<section aria-labelledby="enforcement-title">
    <h2 id="enforcement-title">Enforcement</h2>
    ${health.data
      ? html`<${Alert} tone=${health.data.status === 'ok' ? 'good' : 'warning'}>
          Health: <strong>${health.data.status}</strong>
          ${health.data.problems?.length ? html`<ul>${health.data.problems.map((p) => html`<li>${p.message ?? p.code}</li>`)}</ul>` : null}
        <//>`
      : null}
    <${NoticeView} notice=${notice} />
    <${Loader} state=${state} what="enforcement">
      ${(data: { items: PolicyEnforcement[] }) => html`<div class="table-wrap"><table>
        <caption class="visually-hidden">Policies and their blast-radius breakers</caption>
        <thead><tr><th scope="col">Policy</th><th scope="col">Scope</th><th scope="col">Mode</th><th scope="col">Breaker</th><th scope="col">Revocations this window</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
        <tbody>
          ${data.items.map(
            (p) => html`<tr>
              <td>${p.policyId}</td>
              <td title=${p.scope}>${scopeLabel(p.scope)}</td>
              <td>${p.mode}${p.effectiveMode !== p.mode ? html` <strong>(now ${p.effectiveMode})</strong>` : null}</td>
              <td><${StatusBadge} status=${p.breaker.tripped ? 'tripped' : 'closed'} />${p.breaker.trippedAt ? ` at ${formatInstant(p.breaker.trippedAt)}` : ''}</td>
              <td>${p.breaker.count} of ${p.breaker.maxRevocations} per ${p.breaker.window}</td>
              <td>${p.breaker.tripped ? html`<button type="button" class="danger" disabled=${busy} onClick=${() => reset(p.policyId)}>Reset ${p.policyId}</button>` : null}</td>
            </tr>`,
          )}
        </tbody>
      </table></div>`}
    <//>
  </section>`;
}

export function Admin(props: { section?: string }) {
  const me = useMe();
  const section = ADMIN_SECTIONS.find((s) => s.path === props.section) ?? ADMIN_SECTIONS[0]!;
  if (!me.isAdmin) {
    return html`<${Page} title="Admin"><${Alert} tone="error">This needs the AccessManager.Admin app role.<//><//>`;
  }
  return html`<${Page} title=${`Admin: ${section.title}`}>
    <nav class="tabs" aria-label="Admin sections">
      ${ADMIN_SECTIONS.map((s) => html`<a href=${`/admin/${s.path}`} aria-current=${s === section ? 'page' : undefined}>${s.title}</a>`)}
    </nav>
    ${section.view()}
  <//>`;
}
