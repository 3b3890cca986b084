/**
 * Plain request and reply values for the simulator's handlers: the server decodes each
 * request once (path normalised, query, JSON body) and handlers return a `SimReply`
 * or throw a `SimHttpError`, which each surface (ARM, Graph, connector) formats its own way.
 */
import type { IncomingHttpHeaders } from 'node:http';

export interface SimRequest {
  /** Upper-case HTTP method. */
  method: string;
  /** Decoded path with one leading slash and no empty segments: `//subscriptions/x/` becomes `/subscriptions/x`. */
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  /** Parsed JSON body; undefined when the body was empty. */
  body: unknown;
  /** True when a non-empty body was not JSON. */
  bodyInvalid: boolean;
  /** `https://host:port` as the client addressed us, for `nextLink`s that the client can follow. */
  origin: string;
  clientIp: string;
}

export interface SimReply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/** An error answer: status, a PascalCase code, and a message saying what is wrong. */
export class SimHttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = 'SimHttpError';
  }
}

export function ok(body: unknown, status = 200): SimReply {
  return { status, body };
}

export function header(req: SimRequest, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Splits a raw request target into a normalised path and its query. Leading slashes are
 * collapsed first: ARM SDK calls arrive as `//subscriptions/...`, which a URL parser would
 * read as a host name.
 */
export function splitTarget(rawUrl: string): { path: string; query: URLSearchParams } {
  const q = rawUrl.indexOf('?');
  const rawPath = q < 0 ? rawUrl : rawUrl.slice(0, q);
  const segments: string[] = [];
  for (const segment of rawPath.split('/')) {
    if (segment.length === 0) continue;
    segments.push(safeDecode(segment));
  }
  return { path: '/' + segments.join('/'), query: new URLSearchParams(q < 0 ? '' : rawUrl.slice(q + 1)) };
}

function safeDecode(segment: string): string {
  if (!segment.includes('%')) return segment;
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** The loopback address in one spelling, as Azure would log it. */
export function clientIpOf(remoteAddress: string | undefined): string {
  if (!remoteAddress) return '127.0.0.1';
  if (remoteAddress === '::1') return '127.0.0.1';
  return remoteAddress.startsWith('::ffff:') ? remoteAddress.slice(7) : remoteAddress;
}

/** Case-insensitive lookup of a query parameter (`$skipToken` vs `$skiptoken`). */
export function queryParam(query: URLSearchParams, name: string): string | undefined {
  const direct = query.get(name);
  if (direct !== null) return direct;
  const lower = name.toLowerCase();
  for (const [k, v] of query) if (k.toLowerCase() === lower) return v;
  return undefined;
}

/** A query string as Azure writes one in nextLinks: values percent-encoded, `$` left readable (`$skipToken=`). */
export function queryString(pairs: Iterable<readonly [string, string]>): string {
  const parts: string[] = [];
  for (const [k, v] of pairs) parts.push(`${encodeURIComponent(k).replace(/%24/g, '$')}=${encodeURIComponent(v).replace(/%24/g, '$')}`);
  return parts.join('&');
}
