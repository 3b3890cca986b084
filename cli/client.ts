/**
 * A small typed client of the AccessManager HTTP API (API.md) for the admin CLI, over fetch.
 * It speaks as a local-tenant user (Easy Auth headers, local mode) or with a bearer token
 * (a deployed instance), and turns every failure into one of two errors a person can act on:
 * the service is not reachable, or it answered with an API error.
 */
import { z } from 'zod';
import type { AccessItem } from '../shared/domain/access/accessView';
import type { AuditRecord } from '../shared/domain/audit/record';
import type { AccessRequest, RequestStatus } from '../shared/domain/requests/model';
import type { Grant, GrantStatus } from '../shared/domain/grants/grant';
import { principalHeaders } from '../shared/domain/caller';

export type { AccessItem, AuditRecord, AccessRequest };

/** A grant as the API answers it (internal bookkeeping left out). */
export type GrantView = Omit<Grant, 'pendingRemoval' | 'scopeKey' | 'type'>;

export interface GrantListFilter {
  status?: GrantStatus;
  scope?: string;
  principalId?: string;
}

export interface NewRequest {
  scope: string;
  role: string;
  duration: string;
  justification: string;
  principalId?: string;
}

/** A guardrail exception request (docs/api.md, "Guardrail exceptions"). */
export interface NewGuardrailException {
  kind: 'guardrailException';
  scope: string;
  guardrail: { property: string; allowedValue: string | boolean; compensatingControl: string };
  duration: string;
  justification: string;
}

/** What POST /api/suggestions answers (docs/api.md, "Suggestions"). */
export interface Suggestion {
  roleName: string;
  roleDefinitionId: string;
  roleType?: string;
  scope: string;
  exact?: boolean;
  breadth?: { dataActions: number; accessActions: number; writeActions: number; readActions: number };
  extra: Array<{ kind: 'action' | 'dataAction'; permission: string; except?: string[]; effective: boolean; conditional?: boolean; note?: string }>;
  requestable: boolean;
  policyId?: string;
  asException?: boolean;
  fromModel?: boolean;
}

export interface SuggestionAnswer {
  items: Suggestion[];
  requiredActions: string[];
  requiredDataActions: string[];
  source: 'catalog' | 'model+catalog';
  scope?: string;
  covering?: number;
  model?: { deployment: string; actions: string[]; dataActions: string[]; roleIds: string[]; scope?: string; explanation: string; dropped: string[] };
  note?: string;
}

export interface SuggestionQuery {
  scope: string;
  actions?: string[];
  dataActions?: string[];
  need?: string;
}

export interface Page<T> {
  items: T[];
  continuationToken?: string;
}

export interface AuditFilter {
  principalId?: string;
  scope?: string;
  action?: string;
  requestId?: string;
  grantId?: string;
  from?: string;
  to?: string;
}

export interface AuditVerifyResult {
  ok: boolean;
  checked: number;
  chains?: number;
  firstBadId?: string;
  problem?: string;
  /** Records past the chains' last anchors (see the API's verify answer). */
  tail?: { sinks: string[]; unanchoredRecords: number; chainsWithUnanchoredRecords: number; maxUnanchoredSeconds: number };
}

export interface RequestListFilter {
  status?: RequestStatus;
  mine?: boolean;
  approverMe?: boolean;
}

export interface ClientOptions {
  /** Where AccessManager answers, e.g. http://localhost:7071 (with or without a trailing /api). */
  baseUrl: string;
  /** Bearer token for a deployed instance behind App Service authentication. */
  token?: string;
  /** Or a source of tokens, asked before every call (it caches and refreshes them: @azure/identity credentials do). */
  tokenProvider?: () => Promise<string>;
  /** Local mode: the user whose Easy Auth headers are sent. */
  user?: { id: string; name: string; roles?: string[] };
  fetch?: typeof fetch;
  /** Per call; default 60 s. */
  timeoutMs?: number;
}

/** The service answered with an error (API.md: `{"error":{"code","message"}}`). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** Nothing answered at the URL (refused, unknown host, reset, timed out). */
export class UnreachableError extends Error {
  constructor(
    readonly url: string,
    readonly detail: string,
  ) {
    super(`AccessManager is not reachable at ${url}: start it with npm start or pass --url (${detail})`);
    this.name = 'UnreachableError';
  }
}

const errorBody = z.object({ error: z.object({ code: z.string(), message: z.string() }) });
const pageBody = z.object({ items: z.array(z.record(z.string(), z.unknown())), continuationToken: z.string().nullish() });
const itemsBody = z.object({ items: z.array(z.record(z.string(), z.unknown())) });
const objectBody = z.record(z.string(), z.unknown());
const suggestionBody = z.object({ items: z.array(z.record(z.string(), z.unknown())), requiredActions: z.array(z.string()), requiredDataActions: z.array(z.string()), source: z.string() }).passthrough();
const verifyBody = z.object({
  ok: z.boolean(),
  checked: z.number(),
  chains: z.number().optional(),
  firstBadId: z.string().optional(),
  problem: z.string().optional(),
  tail: z.object({ sinks: z.array(z.string()), unanchoredRecords: z.number(), chainsWithUnanchoredRecords: z.number(), maxUnanchoredSeconds: z.number() }).loose().optional(),
});

const DEFAULT_TIMEOUT_MS = 60_000;

/** `http://host:7071/`, `http://host:7071/api` -> `http://host:7071`; anything that is not an http(s) URL is refused. */
export function normalizeBaseUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw new TypeError(`--url must be an http:// or https:// URL such as http://localhost:7071 (got ${JSON.stringify(raw)}).`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TypeError(`--url must be an http:// or https:// URL (got ${JSON.stringify(raw)}).`);
  const path = url.pathname.replace(/\/+$/, '').replace(/\/api$/i, '');
  return `${url.origin}${path}`;
}

export class AccessManagerClient {
  readonly baseUrl: string;
  private readonly fetchImpl: typeof fetch;
  private readonly headers: Record<string, string>;
  private readonly timeoutMs: number;
  private readonly tokenProvider?: () => Promise<string>;

  constructor(options: ClientOptions) {
    this.baseUrl = normalizeBaseUrl(options.baseUrl);
    this.fetchImpl = options.fetch ?? globalThis.fetch;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.headers = { accept: 'application/json' };
    if (options.token) this.headers.authorization = `Bearer ${options.token}`;
    else if (options.tokenProvider) this.tokenProvider = options.tokenProvider;
    else if (options.user) Object.assign(this.headers, principalHeaders(options.user));
  }

  async createRequest(request: NewRequest | NewGuardrailException): Promise<AccessRequest> {
    return decode(objectBody, await this.call('POST', 'requests', undefined, request), 'createRequest') as unknown as AccessRequest;
  }

  async getRequest(id: string): Promise<AccessRequest> {
    return decode(objectBody, await this.call('GET', `requests/${encodeURIComponent(id)}`), 'getRequest') as unknown as AccessRequest;
  }

  async cancelRequest(id: string): Promise<AccessRequest> {
    return decode(objectBody, await this.call('POST', `requests/${encodeURIComponent(id)}/cancel`, undefined, {}), 'cancelRequest') as unknown as AccessRequest;
  }

  async listGrants(filter: GrantListFilter, page: { limit?: number; continuationToken?: string } = {}): Promise<Page<GrantView>> {
    const body = decode(pageBody, await this.call('GET', 'grants', { ...filter, limit: page.limit, continuationToken: page.continuationToken }), 'listGrants');
    return { items: body.items as unknown as GrantView[], ...(body.continuationToken ? { continuationToken: body.continuationToken } : {}) };
  }

  async renewGrant(id: string, renewal: { duration: string; justification: string }): Promise<AccessRequest> {
    return decode(objectBody, await this.call('POST', `grants/${encodeURIComponent(id)}/renew`, undefined, renewal), 'renewGrant') as unknown as AccessRequest;
  }

  async revokeGrant(id: string, reason: string): Promise<GrantView> {
    return decode(objectBody, await this.call('POST', `grants/${encodeURIComponent(id)}/revoke`, undefined, { reason }), 'revokeGrant') as unknown as GrantView;
  }

  async queryAudit(filter: AuditFilter, page: { limit?: number; continuationToken?: string } = {}): Promise<Page<AuditRecord>> {
    const body = decode(pageBody, await this.call('GET', 'audit', { ...filter, limit: page.limit, continuationToken: page.continuationToken }), 'queryAudit');
    return { items: body.items as unknown as AuditRecord[], ...(body.continuationToken ? { continuationToken: body.continuationToken } : {}) };
  }

  /** Every page of a query, following continuation tokens until none is left. */
  async *auditPages(filter: AuditFilter, pageSize: number, continuationToken?: string): AsyncIterable<Page<AuditRecord>> {
    let token = continuationToken;
    do {
      const page = await this.queryAudit(filter, { limit: pageSize, continuationToken: token });
      yield page;
      token = page.continuationToken;
    } while (token);
  }

  async verifyAudit(): Promise<AuditVerifyResult> {
    return decode(verifyBody, await this.call('GET', 'audit/verify'), 'verifyAudit');
  }

  async listAccess(scope?: string): Promise<AccessItem[]> {
    return decode(itemsBody, await this.call('GET', 'access', { scope }), 'listAccess').items as unknown as AccessItem[];
  }

  async listRequests(filter: RequestListFilter, page: { limit?: number; continuationToken?: string } = {}): Promise<Page<AccessRequest>> {
    const body = decode(
      pageBody,
      await this.call('GET', 'requests', {
        status: filter.status,
        mine: filter.mine ? 'true' : undefined,
        approver: filter.approverMe ? 'me' : undefined,
        limit: page.limit,
        continuationToken: page.continuationToken,
      }),
      'listRequests',
    );
    return { items: body.items as unknown as AccessRequest[], ...(body.continuationToken ? { continuationToken: body.continuationToken } : {}) };
  }

  async suggest(query: SuggestionQuery): Promise<SuggestionAnswer> {
    return decode(suggestionBody, await this.call('POST', 'suggestions', undefined, query), 'suggest') as unknown as SuggestionAnswer;
  }

  async approveRequest(id: string, comment?: string): Promise<AccessRequest> {
    return decode(objectBody, await this.call('POST', `requests/${encodeURIComponent(id)}/approve`, undefined, comment === undefined ? {} : { comment }), 'approveRequest') as unknown as AccessRequest;
  }

  async denyRequest(id: string, reason: string): Promise<AccessRequest> {
    return decode(objectBody, await this.call('POST', `requests/${encodeURIComponent(id)}/deny`, undefined, { reason }), 'denyRequest') as unknown as AccessRequest;
  }

  private async call(method: 'GET' | 'POST', path: string, query: Record<string, string | number | undefined> = {}, body?: unknown): Promise<unknown> {
    const url = new URL(`${this.baseUrl}/api/${path}`);
    for (const [key, value] of Object.entries(query)) if (value !== undefined && value !== '') url.searchParams.set(key, String(value));
    const headers: Record<string, string> = { ...this.headers };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.tokenProvider) headers.authorization = `Bearer ${await this.tokenProvider()}`;
    let response: Response;
    try {
      response = await this.fetchImpl(url, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      throw new UnreachableError(this.baseUrl, describeNetworkError(err, this.timeoutMs));
    }
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text.length > 0 ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    if (!response.ok) {
      const error = errorBody.safeParse(parsed);
      if (error.success) throw new ApiError(response.status, error.data.error.code, error.data.error.message);
      throw new ApiError(response.status, `Http${response.status}`, `${method} ${url.pathname} answered ${response.status} ${response.statusText}${text ? `: ${text.slice(0, 200)}` : ''}; is ${this.baseUrl} an AccessManager?`);
    }
    if (parsed === undefined) {
      throw new ApiError(response.status, 'NotJson', `${method} ${url.pathname} answered ${response.status} without a JSON body; is ${this.baseUrl} an AccessManager?`);
    }
    return parsed;
  }
}

/** Only the envelope is checked (items, tokens, flags): the CLI prints records as the service sends them. */
function decode<S extends z.ZodType>(schema: S, value: unknown, operation: string): z.output<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new ApiError(200, 'UnexpectedResponse', `${operation} answered in an unexpected shape (${parsed.error.issues[0]?.message ?? 'invalid'}); is the CLI as new as the service?`);
  return parsed.data;
}

/** fetch hides the socket error in `cause` (an AggregateError when several addresses were tried). */
function describeNetworkError(err: unknown, timeoutMs: number): string {
  if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) return `no answer within ${Math.round(timeoutMs / 1000)} s`;
  const cause = err instanceof Error ? (err.cause as { code?: unknown; message?: unknown; errors?: { code?: unknown }[] } | undefined) : undefined;
  const code = typeof cause?.code === 'string' ? cause.code : cause?.errors?.map((e) => e.code).find((c): c is string => typeof c === 'string');
  if (code) return code;
  if (typeof cause?.message === 'string' && cause.message) return cause.message;
  return err instanceof Error ? err.message : String(err);
}
