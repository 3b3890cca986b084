/**
 * HOOK (issue 12, narrowest-role suggestions): "Not sure which role?" on the request form asks
 * `POST /api/suggestions {scope, need}` (shared/API.md) and offers the answers, narrowest first.
 * Until that route exists the API answers 404, and the form says suggestions are not available.
 */
import { useState } from 'preact/hooks';
import { ApiError, post } from '../api';
import { Alert, Field, html, useId } from '../ui';

interface Suggestion {
  roleName: string;
  requestable: boolean;
  extra?: unknown;
}

export function SuggestionHint(props: { scope: string; onPick: (roleName: string) => void }) {
  const id = useId('need');
  const [need, setNeed] = useState('');
  const [answer, setAnswer] = useState<{ items: Suggestion[]; note?: string } | { error: string } | undefined>();
  const [busy, setBusy] = useState(false);
  const ask = async () => {
    setBusy(true);
    try {
      setAnswer(await post<{ items: Suggestion[]; note?: string }>('/api/suggestions', { scope: props.scope, need: need.trim() }));
    } catch (err) {
      setAnswer({ error: err instanceof ApiError && err.status === 404 ? 'Role suggestions are not available on this installation.' : err instanceof Error ? err.message : String(err) });
    } finally {
      setBusy(false);
    }
  };
  return html`<details class="suggestions">
    <summary>Not sure which role? Describe what you need</summary>
    <${Field} label="What do you need to do?" id=${id}>
      <textarea id=${id} rows="2" maxlength="1000" value=${need} onInput=${(e: Event) => setNeed((e.target as HTMLTextAreaElement).value)}></textarea>
    <//>
    <button type="button" disabled=${busy || !need.trim()} onClick=${ask}>Suggest the narrowest role</button>
    ${answer && 'error' in answer ? html`<${Alert} tone="warning">${answer.error}<//>` : null}
    ${answer && 'items' in answer
      ? html`<ul class="suggestion-list">
          ${answer.items.map(
            (s) => html`<li>${s.roleName}${s.requestable ? '' : ' (not requestable here)'} ${s.requestable ? html`<button type="button" onClick=${() => props.onPick(s.roleName)}>Use this role</button>` : null}</li>`,
          )}
        </ul>
        ${answer.note ? html`<p class="hint">${answer.note}</p>` : null}`
      : null}
  </details>`;
}
