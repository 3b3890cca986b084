/**
 * Request access (`/request`): where (a governed scope, or a resource inside it), which role (the
 * policy's requestable roles; under a flexible policy, another role as an exception), for how
 * long (within the policy's limits) and why. The choices come from `GET /api/catalog`; the API
 * decides, and its messages are shown as it words them, next to the field at fault.
 */
import { useMemo, useState } from 'preact/hooks';
import type { CatalogEntry, CatalogRole } from '../../shared/domain/policy/catalog';
import type { AccessRequest } from '../../shared/domain/requests/model';
import { ApiError, get, post } from '../api';
import { durationChoices, durationLabel, scopeLabel } from '../format';
import { Alert, ErrorAlert, Field, Loader, Page, describedBy, errorText, html, useLoad, useId } from '../ui';
import { SuggestionHint } from './suggestions';

const OTHER_ROLE = '__other__';

type Fields = 'scope' | 'role' | 'duration' | 'justification';

function RequestForm(props: { catalog: CatalogEntry[]; onCreated: (r: AccessRequest) => void; initial?: { scope?: string; role?: string } }) {
  const catalog = props.catalog;
  const initialPolicy = catalog.find((e) => props.initial?.scope && props.initial.scope.toLowerCase().startsWith(e.scope.toLowerCase())) ?? catalog[0];
  const [policyId, setPolicyId] = useState(initialPolicy?.policyId ?? '');
  const entry = catalog.find((e) => e.policyId === policyId) ?? catalog[0]!;
  const [narrower, setNarrower] = useState(props.initial?.scope && initialPolicy && props.initial.scope !== initialPolicy.scope ? props.initial.scope : '');
  const [roleChoice, setRoleChoice] = useState(props.initial?.role ?? entry.roles[0]?.roleName ?? '');
  const [otherRole, setOtherRole] = useState('');
  const [duration, setDuration] = useState('');
  const [justification, setJustification] = useState('');
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<{ message: string; fields: Partial<Record<Fields, string>> } | undefined>();

  const role: CatalogRole | undefined = entry.roles.find((r) => r.roleName === roleChoice);
  const isException = roleChoice === OTHER_ROLE;
  const choices = useMemo(
    () => (role ? durationChoices(role.minDurationMs, role.maxDurationMs) : entry.exception ? durationChoices(undefined, entry.exception.maxDurationMs) : []),
    [role?.roleName, entry.policyId],
  );
  const chosenDuration = choices.some((c) => c.value === duration) ? duration : (choices[choices.length - 1]?.value ?? '');
  const scope = narrower.trim() || entry.scope;

  const ids = { policy: useId('where'), narrower: useId('resource'), role: useId('role'), other: useId('other-role'), duration: useId('duration'), justification: useId('justification') };
  const problems = failure?.fields ?? {};

  const choosePolicy = (id: string) => {
    setPolicyId(id);
    const next = catalog.find((e) => e.policyId === id);
    setRoleChoice(next?.roles[0]?.roleName ?? (next?.exception ? OTHER_ROLE : ''));
    setNarrower('');
    setFailure(undefined);
  };

  const submit = async (e: Event) => {
    e.preventDefault();
    const roleName = isException ? otherRole.trim() : roleChoice;
    const fields: Partial<Record<Fields, string>> = {};
    if (!roleName) fields.role = 'Name the role you need.';
    if (role?.justificationRequired && !justification.trim()) fields.justification = 'This role needs a justification: say what you will do with it.';
    if (Object.keys(fields).length > 0) {
      setFailure({ message: 'Some fields need your attention.', fields });
      return;
    }
    setBusy(true);
    setFailure(undefined);
    try {
      props.onCreated(await post<AccessRequest>('/api/requests', { scope, role: roleName, duration: chosenDuration, justification: justification.trim() }));
    } catch (err) {
      setFailure({ message: errorText(err), fields: fieldProblems(err) });
    } finally {
      setBusy(false);
    }
  };

  const approvals = isException ? entry.exception?.approvals : role?.approvals;
  return html`<form class="request-form" onSubmit=${submit} novalidate>
    ${failure ? html`<${Alert} tone="error">${failure.message}<//>` : null}
    <${Field} label="Where" id=${ids.policy} hint=${entry.description} problem=${problems.scope}>
      <select id=${ids.policy} value=${entry.policyId} onChange=${(ev: Event) => choosePolicy((ev.target as HTMLSelectElement).value)} aria-describedby=${describedBy(ids.policy, 'hint', problems.scope)}>
        ${catalog.map((e) => html`<option value=${e.policyId}>${scopeLabel(e.scope)} (${e.policyId})</option>`)}
      </select>
    <//>
    <${Field} label="A resource inside it (optional)" id=${ids.narrower} hint=${`Leave empty for all of ${scopeLabel(entry.scope)}; the narrower the better, e.g. ${entry.scope}/providers/Microsoft.Storage/storageAccounts/<name>.`}>
      <input id=${ids.narrower} type="text" value=${narrower} onInput=${(ev: Event) => setNarrower((ev.target as HTMLInputElement).value)} aria-describedby=${describedBy(ids.narrower, 'hint')} spellcheck="false" autocomplete="off" />
    <//>
    <${SuggestionHint} scope=${scope} onPick=${(roleName: string) => setRoleChoice(entry.roles.some((r) => r.roleName === roleName) ? roleName : OTHER_ROLE)} />
    <${Field} label="Role" id=${ids.role} problem=${isException ? undefined : problems.role}>
      <select id=${ids.role} value=${roleChoice} onChange=${(ev: Event) => setRoleChoice((ev.target as HTMLSelectElement).value)} aria-invalid=${problems.role && !isException ? 'true' : undefined}>
        ${entry.roles.map((r) => html`<option value=${r.roleName}>${r.roleName} (up to ${durationLabel(r.maxDuration)}, ${r.approvals} approval${r.approvals === 1 ? '' : 's'})</option>`)}
        ${entry.exception ? html`<option value=${OTHER_ROLE}>Another role, as an exception (${entry.exception.approvals} approvals, up to ${durationLabel(entry.exception.maxDuration)})</option>` : null}
      </select>
    <//>
    ${isException
      ? html`<${Field} label="Which role" id=${ids.other} hint="A built-in role name, e.g. Storage Blob Data Reader." problem=${problems.role} required>
          <input id=${ids.other} type="text" value=${otherRole} onInput=${(ev: Event) => setOtherRole((ev.target as HTMLInputElement).value)} aria-describedby=${describedBy(ids.other, 'hint', problems.role)} aria-invalid=${problems.role ? 'true' : undefined} />
        <//>`
      : null}
    <${Field} label="For how long" id=${ids.duration} hint="Counted from the moment access is granted." problem=${problems.duration}>
      <select id=${ids.duration} value=${chosenDuration} onChange=${(ev: Event) => setDuration((ev.target as HTMLSelectElement).value)} aria-describedby=${describedBy(ids.duration, 'hint', problems.duration)}>
        ${choices.map((c) => html`<option value=${c.value}>${c.label}</option>`)}
      </select>
    <//>
    <${Field} label="Justification" id=${ids.justification} hint="What you will do with this access; approvers read it." problem=${problems.justification} required=${role?.justificationRequired ?? isException}>
      <textarea id=${ids.justification} rows="3" maxlength="2000" value=${justification} onInput=${(ev: Event) => setJustification((ev.target as HTMLTextAreaElement).value)} aria-describedby=${describedBy(ids.justification, 'hint', problems.justification)} aria-invalid=${problems.justification ? 'true' : undefined}></textarea>
    <//>
    ${approvals ? html`<p class="hint">Needs ${approvals} distinct approval${approvals === 1 ? '' : 's'}${role?.approvalChannel === 'web' ? ', given in the browser (step-up)' : ''}.</p>` : null}
    <button type="submit" class="primary" disabled=${busy}>${busy ? 'Sending…' : 'Request access'}</button>
  </form>`;
}

/** The API's field-level problems (`details.issues[].path`), or its error code, placed on the field at fault. */
export function fieldProblems(err: unknown): Partial<Record<Fields, string>> {
  if (!(err instanceof ApiError)) return {};
  const fields: Partial<Record<Fields, string>> = {};
  for (const issue of err.issues) {
    const field = issue.path.split(/[.[]/)[0] as Fields;
    if (['scope', 'role', 'duration', 'justification'].includes(field)) fields[field] ??= issue.message;
  }
  if (Object.keys(fields).length > 0) return fields;
  const code = err.code.toLowerCase();
  for (const field of ['scope', 'role', 'duration', 'justification'] as const) if (code.includes(field)) fields[field] = err.message;
  return fields;
}

export function RequestAccess(props: { onCreated: (r: AccessRequest) => void; query: Record<string, string> }) {
  const state = useLoad(() => get<{ items: CatalogEntry[] }>('/api/catalog'), []);
  return html`<${Page} title="Request access" intro="Ask for the narrowest role you need, for as short a time as will do.">
    <${Loader} state=${state} what="what you can request">
      ${(c: { items: CatalogEntry[] }) =>
        c.items.length === 0
          ? html`<${ErrorAlert} error=${new Error('No policy offers anything to request: ask your AccessManager admins.')} />`
          : html`<${RequestForm} catalog=${c.items} onCreated=${props.onCreated} initial=${{ scope: props.query.scope, role: props.query.role }} />`}
    <//>
  <//>`;
}
