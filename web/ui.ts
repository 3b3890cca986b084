/**
 * The portal's small shared pieces: loading data, page frames, alerts, status badges, fields,
 * and the live region that announces what a click did. Text is always rendered as text (Preact
 * escapes it); no HTML is ever built from data.
 */
import { html } from 'htm/preact';
import { createContext, type ComponentChildren } from 'preact';
import { useCallback, useContext, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from './api';
import type { Me } from './session';

export { html };

/** The signed-in person, for every page (set once by main.ts). */
export const SessionContext = createContext<Me | undefined>(undefined);

export function useMe(): Me {
  const me = useContext(SessionContext);
  if (!me) throw new Error('useMe outside the signed-in app');
  return me;
}

export interface Loaded<T> {
  data?: T;
  error?: Error;
  loading: boolean;
  reload: () => void;
}

/** Runs `load` now and whenever `deps` change; `reload` runs it again. Late answers of older runs are dropped. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): Loaded<T> {
  const [state, setState] = useState<{ data?: T; error?: Error; loading: boolean }>({ loading: true });
  const [round, setRound] = useState(0);
  const latest = useRef(0);
  useEffect(() => {
    const run = ++latest.current;
    setState((s) => ({ ...s, loading: true }));
    load().then(
      (data) => run === latest.current && setState({ data, loading: false }),
      (error: unknown) => run === latest.current && setState({ error: error instanceof Error ? error : new Error(String(error)), loading: false }),
    );
  }, [...deps, round]);
  const reload = useCallback(() => setRound((r) => r + 1), []);
  return { ...state, reload };
}

/** A page: its title (also the document's), then its content. Focus moves to the heading on arrival. */
export function Page(props: { title: string; intro?: string; children?: ComponentChildren }) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = `${props.title} – AccessManager`;
    heading.current?.focus();
  }, [props.title]);
  return html`<section class="page" aria-labelledby="page-title">
    <h1 id="page-title" tabindex="-1" ref=${heading}>${props.title}</h1>
    ${props.intro ? html`<p class="intro">${props.intro}</p>` : null}
    ${props.children}
  </section>`;
}

export type Tone = 'info' | 'good' | 'warning' | 'error';

export function Alert(props: { tone: Tone; children?: ComponentChildren }) {
  const role = props.tone === 'error' ? 'alert' : 'status';
  return html`<div class=${`alert alert-${props.tone}`} role=${role}>${props.children}</div>`;
}

/** The message of an error, as the API worded it. */
export function errorText(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  return error instanceof Error ? error.message : String(error);
}

export function ErrorAlert(props: { error: unknown }) {
  return html`<${Alert} tone="error">${errorText(props.error)}<//>`;
}

export function Loading(props: { what: string }) {
  return html`<p class="loading" role="status">Loading ${props.what}…</p>`;
}

/** Loading, error or content, for one loaded value. */
export function Loader<T>(props: { state: Loaded<T>; what: string; children: (data: T) => ComponentChildren }) {
  const { state } = props;
  if (state.error) return html`<${ErrorAlert} error=${state.error} />`;
  if (state.data === undefined) return html`<${Loading} what=${props.what} />`;
  return html`${props.children(state.data)}`;
}

const STATUS_TONES: Record<string, Tone> = {
  pending: 'info',
  approved: 'good',
  active: 'good',
  granted: 'good',
  denied: 'error',
  failed: 'error',
  unapproved: 'error',
  revoked: 'warning',
  cancelled: 'warning',
  timedOut: 'warning',
  expired: 'warning',
  exempt: 'info',
  ungoverned: 'warning',
  tripped: 'error',
  closed: 'good',
};

const STATUS_WORDS: Record<string, string> = { timedOut: 'timed out' };

export function StatusBadge(props: { status: string }) {
  return html`<span class=${`badge badge-${STATUS_TONES[props.status] ?? 'info'}`}>${STATUS_WORDS[props.status] ?? props.status}</span>`;
}

let fieldCount = 0;
/** A stable id for a label/control pair. */
export function useId(prefix: string): string {
  const id = useRef<string | undefined>(undefined);
  id.current ??= `${prefix}-${++fieldCount}`;
  return id.current;
}

/** A labelled control with its hint and its problem, linked for screen readers. */
export function Field(props: { label: string; id: string; hint?: string; problem?: string; required?: boolean; children?: ComponentChildren }) {
  return html`<div class=${`field${props.problem ? ' field-invalid' : ''}`}>
    <label for=${props.id}>${props.label}${props.required ? html`<span class="required"> (required)</span>` : null}</label>
    ${props.hint ? html`<p class="hint" id=${`${props.id}-hint`}>${props.hint}</p>` : null}
    ${props.children}
    ${props.problem ? html`<p class="problem" id=${`${props.id}-problem`}>${props.problem}</p>` : null}
  </div>`;
}

/** The aria-describedby of a control inside Field. */
export function describedBy(id: string, hint?: string, problem?: string): string | undefined {
  const ids = [hint ? `${id}-hint` : '', problem ? `${id}-problem` : ''].filter(Boolean).join(' ');
  return ids || undefined;
}

/** Facts about one thing: a description list. */
export function Facts(props: { items: Array<[string, ComponentChildren]> }) {
  return html`<dl class="facts">
    ${props.items.filter(([, v]) => v !== undefined && v !== null && v !== '').map(([k, v]) => html`<div><dt>${k}</dt><dd>${v}</dd></div>`)}
  </dl>`;
}

/** What an action did, or why it failed: one message at a time, announced. */
export interface Notice {
  tone: Tone;
  text: ComponentChildren;
}

export function useNotice(): [Notice | undefined, (n: Notice | undefined) => void] {
  return useState<Notice | undefined>(undefined);
}

export function NoticeView(props: { notice?: Notice }) {
  return props.notice ? html`<${Alert} tone=${props.notice.tone}>${props.notice.text}<//>` : null;
}

/** Runs an action once at a time; its failure becomes an error notice. */
export function useAction(setNotice: (n: Notice | undefined) => void): [boolean, (run: () => Promise<void>) => Promise<void>] {
  const [busy, setBusy] = useState(false);
  const act = async (run: () => Promise<void>) => {
    if (busy) return;
    setBusy(true);
    setNotice(undefined);
    try {
      await run();
    } catch (error) {
      setNotice({ tone: 'error', text: errorText(error) });
    } finally {
      setBusy(false);
    }
  };
  return [busy, act];
}

/** A ticking clock for "time left": re-renders every `ms`. */
export function useNow(ms: number): Date {
  const [now, setNow] = useState(() => new Date());
  useEffect(() => {
    const timer = setInterval(() => setNow(new Date()), ms);
    return () => clearInterval(timer);
  }, [ms]);
  return now;
}

export interface Paged<T> {
  items: T[];
  /** More to show: `more()` fetches them. */
  hasMore: boolean;
  error?: Error;
  loading: boolean;
  more: () => void;
  reload: () => void;
}

/** A listing shown page after page ("Show more"); `fetchPage` gets the continuation token. */
export function usePaged<T>(fetchPage: (token?: string) => Promise<{ items: T[]; continuationToken?: string | null }>, deps: unknown[]): Paged<T> {
  const [state, setState] = useState<{ items: T[]; token?: string; error?: Error; loading: boolean }>({ items: [], loading: true });
  const [round, setRound] = useState(0);
  const latest = useRef(0);
  const load = (token: string | undefined, keep: T[]) => {
    const run = ++latest.current;
    setState((s) => ({ ...s, loading: true }));
    fetchPage(token).then(
      (page) => run === latest.current && setState({ items: [...keep, ...page.items], token: page.continuationToken ?? undefined, loading: false }),
      (error: unknown) => run === latest.current && setState((s) => ({ ...s, error: error instanceof Error ? error : new Error(String(error)), loading: false })),
    );
  };
  useEffect(() => load(undefined, []), [...deps, round]);
  return {
    items: state.items,
    hasMore: state.token !== undefined,
    error: state.error,
    loading: state.loading,
    more: () => load(state.token, state.items),
    reload: useCallback(() => setRound((r) => r + 1), []),
  };
}
