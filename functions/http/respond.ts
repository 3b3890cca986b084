/**
 * The one place where errors become HTTP answers (`{"error":{"code","message"}}`, API.md), plus
 * the JSON body reader every HTTP function uses, so that bad input is refused with a message
 * that names the field at fault.
 */
import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import { z } from 'zod';
import { AppError, ValidationError } from '../../shared/domain/errors';

/** Either a plain function or anything with `error(...)` (an InvocationContext, console). */
export type ErrorLog = ((...args: unknown[]) => void) | { error: (...args: unknown[]) => void };

export interface ErrorBody {
  error: { code: string; message: string; details?: unknown };
}

/** What callers see for failures that are ours: the real cause goes to the log only. */
export const GENERIC_INTERNAL_MESSAGE = 'Something went wrong on our side; it has been logged. Try again later, and tell the administrators if it keeps happening.';

/** Requests are small JSON documents; 64 KiB leaves room for long justifications. */
export const DEFAULT_MAX_JSON_BYTES = 64 * 1024;

export function json(status: number, body: unknown, headers: Record<string, string> = {}): HttpResponseInit {
  return { status, jsonBody: body, headers: { 'content-type': 'application/json; charset=utf-8', ...headers } };
}

/** Maps any thrown value to its HTTP answer; only 5xx causes are logged, since 4xx are the caller's to fix. */
export function errorResponse(err: unknown, log?: ErrorLog): HttpResponseInit {
  if (err instanceof AppError && err.status < 500) {
    const body: ErrorBody = { error: { code: toPascalCase(err.code), message: err.message } };
    if (err.details !== undefined) body.error.details = err.details;
    return json(err.status, body, retryAfterHeader(err));
  }
  writeLog(log, err);
  if (err instanceof AppError && err.transient) {
    // Transient messages describe an outage ("Cosmos DB is throttling"), never data: safe to show.
    return json(err.status, { error: { code: toPascalCase(err.code), message: err.message } }, retryAfterHeader(err));
  }
  const code = err instanceof AppError ? toPascalCase(err.code) : 'InternalError';
  const status = err instanceof AppError ? err.status : 500;
  return json(status, { error: { code, message: GENERIC_INTERNAL_MESSAGE } });
}

/** Error codes are PascalCase on the wire whatever the thrower wrote (`invalid_scope` -> `InvalidScope`). */
export function toPascalCase(code: string): string {
  if (/^[A-Z][A-Za-z0-9]*$/.test(code)) return code;
  const words = code.split(/[^A-Za-z0-9]+/).filter((w) => w.length > 0);
  const joined = words.map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join('');
  return joined.length > 0 ? joined : 'Error';
}

function retryAfterHeader(err: AppError): Record<string, string> {
  if (err.status !== 429 && err.status !== 503) return {};
  const retryAfterMs = (err as { retryAfterMs?: unknown }).retryAfterMs;
  if (typeof retryAfterMs !== 'number' || !Number.isFinite(retryAfterMs) || retryAfterMs < 0) return {};
  return { 'retry-after': String(Math.ceil(retryAfterMs / 1000)) };
}

function writeLog(log: ErrorLog | undefined, err: unknown): void {
  if (!log) return;
  const detail = err instanceof Error ? (err.stack ?? `${err.name}: ${err.message}`) : String(err);
  if (typeof log === 'function') log(detail);
  else log.error(detail);
}

export interface ReadJsonOptions {
  /** Larger bodies are refused. Default 64 KiB. */
  maxBytes?: number;
  /** An empty body reads as undefined instead of being refused (for bodies whose fields are all optional). */
  allowEmpty?: boolean;
}

/**
 * Reads the request body as JSON and decodes it with `schema`. Every refusal is a
 * ValidationError saying what to send instead: empty body, too large, not JSON (naming the
 * content type that was sent, when it was not JSON), or the field paths that do not fit.
 */
export async function readJsonBody<S extends z.ZodType>(request: JsonBodySource, schema: S, options: ReadJsonOptions & { allowEmpty: true }): Promise<z.output<S> | undefined>;
export async function readJsonBody<S extends z.ZodType>(request: JsonBodySource, schema: S, options?: ReadJsonOptions): Promise<z.output<S>>;
export async function readJsonBody<S extends z.ZodType>(request: JsonBodySource, schema: S, options: ReadJsonOptions = {}): Promise<z.output<S> | undefined> {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_JSON_BYTES;
  const expected = describeExpected(schema);
  const text = await readTextCapped(request, maxBytes);
  if (text.trim().length === 0) {
    if (options.allowEmpty) return undefined;
    throw new ValidationError(`The request body is empty; send ${expected}.`, 'EmptyBody');
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    // The content type is only advice: fetch labels string bodies text/plain by itself, so JSON is accepted under any label.
    const contentType = request.headers.get('content-type');
    if (contentType !== null && !isJsonContentType(contentType) && !/^text\/plain\b/i.test(contentType)) {
      throw new ValidationError(
        `The request body is ${contentType.split(';', 1)[0]!.slice(0, 100)}, not JSON; send ${expected} with "Content-Type: application/json".`,
        'UnsupportedContentType',
      );
    }
    throw new ValidationError(`The request body is not valid JSON (${(err as Error).message}); send ${expected}.`, 'InvalidJson');
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => ({ path: formatPath(issue.path), message: issue.message }));
    const summary = issues.map((i) => `${i.path}: ${i.message}`).join('; ');
    throw new ValidationError(`Invalid request body: ${summary}.`, 'InvalidRequest', { issues });
  }
  return parsed.data;
}

type JsonBodySource = Pick<HttpRequest, 'headers' | 'body' | 'bodyUsed'>;

export function isJsonContentType(contentType: string): boolean {
  const mediaType = contentType.split(';', 1)[0]!.trim().toLowerCase();
  return mediaType === 'application/json' || /^application\/[a-z0-9.+-]+\+json$/.test(mediaType);
}

/** `a.b[0].c`, or `(body)` for the document itself. */
export function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(body)';
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out.length === 0 ? String(key) : `.${String(key)}`;
  }
  return out;
}

function describeExpected(schema: z.ZodType): string {
  if (schema instanceof z.ZodObject) {
    const fields = Object.keys(schema.shape as Record<string, unknown>);
    if (fields.length > 0) return `a JSON object with ${fields.join(', ')}`;
  }
  return 'a JSON document';
}

async function readTextCapped(request: JsonBodySource, maxBytes: number): Promise<string> {
  if (request.bodyUsed) throw new Error('readJsonBody: the request body was already read');
  const stream = request.body;
  if (!stream) return '';
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    const chunk = value instanceof Uint8Array ? value : new TextEncoder().encode(String(value));
    total += chunk.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw new ValidationError(`The request body is larger than ${maxBytes} bytes; send a smaller JSON document.`, 'PayloadTooLarge');
    }
    chunks.push(chunk);
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks));
  } catch {
    throw new ValidationError('The request body is not valid UTF-8; send JSON encoded as UTF-8.', 'InvalidJson');
  }
}
