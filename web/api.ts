/**
 * The portal's client of the AccessManager API: same-origin fetch with the session cookie, the
 * portal's request header on every call (the API refuses cookie-borne changes without it), and
 * API errors (`{"error":{"code","message","details"}}`) as ApiError. A 401 means the session is
 * gone: back to sign-in, then to this page.
 */
import { PORTAL_REQUEST_HEADER } from './constants';
import { signIn } from './session';

export interface FieldIssue {
  path: string;
  message: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly issues: FieldIssue[] = [],
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export interface Page<T> {
  items: T[];
  continuationToken?: string | null;
}

type Query = Record<string, string | number | undefined>;

export function withQuery(path: string, query: Query = {}): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined && value !== '') params.set(key, String(value));
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

async function call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json', [PORTAL_REQUEST_HEADER]: '1' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(path, { method, headers, credentials: 'same-origin', body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    throw new ApiError(0, 'Unreachable', 'AccessManager did not answer. Check your connection and try again.');
  }
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  if (response.status === 401) {
    signIn();
    throw new ApiError(401, 'Unauthenticated', 'Your session has ended: signing you in again…');
  }
  if (!response.ok) {
    const error = (parsed as { error?: { code?: unknown; message?: unknown; details?: { issues?: unknown } } } | undefined)?.error;
    const issues = Array.isArray(error?.details?.issues) ? (error.details.issues as FieldIssue[]).filter((i) => typeof i?.path === 'string' && typeof i?.message === 'string') : [];
    throw new ApiError(
      response.status,
      typeof error?.code === 'string' ? error.code : `Http${response.status}`,
      typeof error?.message === 'string' ? error.message : `AccessManager answered ${response.status} ${response.statusText}.`,
      issues,
    );
  }
  return parsed as T;
}

export const get = <T>(path: string, query?: Query) => call<T>('GET', withQuery(path, query));
export const post = <T>(path: string, body: unknown = {}) => call<T>('POST', path, body);

/** Every page of a listing (exports). */
export async function allPages<T>(path: string, query: Query, pageSize: number): Promise<T[]> {
  const items: T[] = [];
  let token: string | undefined;
  do {
    const page = await get<Page<T>>(path, { ...query, limit: pageSize, continuationToken: token });
    items.push(...page.items);
    token = page.continuationToken ?? undefined;
  } while (token);
  return items;
}
