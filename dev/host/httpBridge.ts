/**
 * Node's HTTP server on one side, the @azure/functions request/response classes on the other:
 * reads a capped request body, builds a real HttpRequest, and writes an HttpResponseInit back
 * the way the Functions worker does (the library's own HttpResponse does the body and JSON
 * conversion; cookies and hop-by-hop headers are handled as in its HTTP proxy).
 */
import { HttpRequest, HttpResponse } from '@azure/functions';
import type { Cookie, HttpResponseInit } from '@azure/functions';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** The Functions host refuses bodies over 100 MB; here requests are small JSON, so 1 MiB is plenty. */
export const DEFAULT_MAX_REQUEST_BYTES = 1024 * 1024;

export type BodyResult = { ok: true; body: Buffer } | { ok: false; reason: 'tooLarge' };

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'trailers', 'transfer-encoding', 'upgrade']);
const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const COOKIE_ATTRIBUTE = /^[\u0021-\u003A\u003C-\u007E]*$/;

/** Reads the whole body, refusing (without buffering the rest) once it passes `maxBytes`. */
export function readRequestBody(req: IncomingMessage, maxBytes: number): Promise<BodyResult> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) return Promise.resolve({ ok: false, reason: 'tooLarge' });
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    let settled = false;
    const finish = (result: BodyResult | Error) => {
      if (settled) return;
      settled = true;
      req.off('data', onData).off('end', onEnd).off('error', onError).off('close', onClose);
      if (result instanceof Error) reject(result);
      else resolve(result);
    };
    const onData = (chunk: Buffer) => {
      total += chunk.length;
      if (total > maxBytes) {
        req.pause();
        finish({ ok: false, reason: 'tooLarge' });
      } else chunks.push(chunk);
    };
    const onEnd = () => finish({ ok: true, body: Buffer.concat(chunks) });
    const onError = (err: Error) => finish(err);
    const onClose = () => finish(new Error('the client closed the connection before sending the whole body'));
    req.on('data', onData).on('end', onEnd).on('error', onError).on('close', onClose);
  });
}

/** Node joins repeated headers with ", " already, except Set-Cookie, which it keeps as a list. */
export function headerRecord(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}

/**
 * A real HttpRequest, as the worker builds one. `query` is left to the library, which then
 * reads it from the URL and so keeps repeated keys (`?status=a&status=b`).
 */
export function toHttpRequest(req: IncomingMessage, url: string, body: Buffer, params: Record<string, string>): HttpRequest {
  const method = (req.method ?? 'GET').toUpperCase();
  const carriesBody = method !== 'GET' && method !== 'HEAD' && body.length > 0;
  return new HttpRequest({
    method,
    url,
    headers: headerRecord(req),
    params,
    ...(carriesBody ? { body: { bytes: body } } : {}),
  });
}

/** Writes a handler's answer; returns the status sent. Rejects only when the init itself is unusable. */
export async function writeHttpResponse(
  res: ServerResponse,
  result: HttpResponseInit | HttpResponse | undefined,
  options: { head?: boolean; extraHeaders?: Record<string, string> } = {},
): Promise<number> {
  const response = result instanceof HttpResponse ? result : new HttpResponse(withStreamableBody(result ?? {}));
  const setCookies = [...response.headers.getSetCookie(), ...response.cookies.map(serializeCookie)];
  const connectionHeader = response.headers.get('connection');
  const dropped = new Set(
    (connectionHeader ?? '')
      .split(',')
      .map((h) => h.trim().toLowerCase())
      .filter((h) => h.length > 0),
  );
  res.statusCode = response.status;
  response.headers.forEach((value, name) => {
    if (name !== 'set-cookie' && !HOP_BY_HOP.has(name) && !dropped.has(name)) res.setHeader(name, value);
  });
  if (setCookies.length > 0) res.setHeader('set-cookie', setCookies);
  for (const [name, value] of Object.entries(options.extraHeaders ?? {})) res.setHeader(name, value);

  const body = response.body;
  if (!body || options.head) {
    if (body) await body.cancel().catch(() => undefined);
    res.end();
    return response.status;
  }
  try {
    await pipeline(body, res);
  } catch {
    // The client went away mid-body; nothing left to answer.
    res.destroy();
  }
  return response.status;
}

/** Mirrors the `cookie` package's serialize, as the library's HTTP proxy uses it. */
export function serializeCookie(cookie: Cookie): string {
  if (!COOKIE_NAME.test(cookie.name)) throw new TypeError(`Invalid cookie name "${cookie.name}"`);
  const parts = [`${cookie.name}=${encodeURIComponent(cookie.value)}`];
  if (cookie.maxAge !== undefined) {
    if (!Number.isFinite(cookie.maxAge)) throw new TypeError(`Invalid maxAge for cookie "${cookie.name}"`);
    parts.push(`Max-Age=${Math.floor(cookie.maxAge)}`);
  }
  if (cookie.domain !== undefined) parts.push(`Domain=${checkedAttribute(cookie.domain, 'domain')}`);
  if (cookie.path !== undefined) parts.push(`Path=${checkedAttribute(cookie.path, 'path')}`);
  if (cookie.expires !== undefined) {
    const expires = typeof cookie.expires === 'number' ? new Date(cookie.expires) : cookie.expires;
    if (Number.isNaN(expires.getTime())) throw new TypeError(`Invalid expires for cookie "${cookie.name}"`);
    parts.push(`Expires=${expires.toUTCString()}`);
  }
  if (cookie.httpOnly) parts.push('HttpOnly');
  if (cookie.secure) parts.push('Secure');
  if (cookie.sameSite) parts.push(`SameSite=${cookie.sameSite}`);
  return parts.join('; ');
}

function checkedAttribute(value: string, what: string): string {
  if (!COOKIE_ATTRIBUTE.test(value)) throw new TypeError(`Invalid cookie ${what} "${value}"`);
  return value;
}

/**
 * The fetch Response behind HttpResponse takes strings, bytes, blobs, web and Node streams and
 * async iterables; plain iterables of chunks (arrays, generators) are adapted here.
 */
function withStreamableBody(init: HttpResponseInit): HttpResponseInit {
  const body: unknown = init.body;
  if (!isPlainIterable(body)) return init;
  const chunks = body;
  return { ...init, body: Readable.from((function* () {
    for (const chunk of chunks) yield chunk instanceof Uint8Array ? chunk : Buffer.from(String(chunk));
  })()) };
}

function isPlainIterable(body: unknown): body is Iterable<unknown> {
  if (body === null || typeof body !== 'object') return false;
  if (ArrayBuffer.isView(body) || body instanceof ArrayBuffer || body instanceof URLSearchParams || body instanceof Blob) return false;
  if (body instanceof FormData || body instanceof ReadableStream || Symbol.asyncIterator in body) return false;
  return Symbol.iterator in body;
}
