/**
 * The simulator's HTTPS server: decodes each request once, sends it to ARM (root), Graph
 * (`/v1.0`), the Teams connector (`/connector`) or the simulator's own API (`/sim`), injects
 * the configured ARM/Graph faults and ARM latency, and writes answers and errors in each surface's format.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import https from 'node:https';
import { setTimeout as delay } from 'node:timers/promises';
import { handleArm } from './arm/router';
import { REMAINING_HEADER, throttleKind, type ArmThrottle } from './arm/throttle';
import { resolveCaller } from './caller';
import type { EventDelivery } from './events/delivery';
import { handleGraph } from './graph/router';
import { handleManagedIdentity } from './identity/managedIdentity';
import { handleOpenAi } from './openai/chatCompletions';
import { clientIpOf, header, SimHttpError, splitTarget, type SimReply, type SimRequest } from './http';
import type { SeededRandom, SimKnobs } from './knobs';
import { handleSimApi } from './simApi';
import type { SimState } from './state';
import { handleConnector } from './teams/connector';

export interface ServerDeps {
  state: SimState;
  knobs: SimKnobs;
  delivery: EventDelivery;
  random: SeededRandom;
  throttle: ArmThrottle;
  /** The secret a caller of the managed identity endpoint must send (App Service's IDENTITY_HEADER). */
  identityHeader: string;
}

/** The subscription an ARM path is under (its bucket), undefined above any subscription. */
function subscriptionOfPath(path: string): string | undefined {
  return /^\/+subscriptions\/([^/]+)/i.exec(path)?.[1];
}

/**
 * ARM's token buckets: takes a token for this request, sets the remaining-budget header, and
 * answers 429 with Retry-After when the bucket is empty.
 */
function throttleArm(req: SimRequest, deps: ServerDeps, headers: Record<string, string>): SimHttpError | undefined {
  const spec = deps.knobs.armThrottle;
  if (!spec) return undefined;
  let caller = 'anonymous';
  try {
    caller = resolveCaller(req, deps.state.directory).objectId;
  } catch {
    // A bad token is refused by the handler itself (401), after taking from the anonymous bucket.
  }
  const kind = throttleKind(req.method);
  const taken = deps.throttle.take(spec, subscriptionOfPath(req.path), caller, kind);
  headers[REMAINING_HEADER[kind]] = String(taken.remaining);
  if (taken.allowed) return undefined;
  deps.state.stats.armThrottled += 1;
  return new SimHttpError(429, 'TooManyRequests', `Number of ${kind} requests for subscription and caller exceeded the limit. Retry after ${taken.retryAfterSeconds} seconds.`, {
    'Retry-After': String(taken.retryAfterSeconds),
  });
}

type Surface = 'arm' | 'graph' | 'connector' | 'sim' | 'openai' | 'identity';

function surfaceOf(path: string): Surface {
  const lower = path.slice(0, 12).toLowerCase();
  if (lower === '/v1.0' || lower.startsWith('/v1.0/')) return 'graph';
  if (lower === '/connector' || lower.startsWith('/connector/')) return 'connector';
  if (lower.startsWith('/sim/')) return 'sim';
  if (lower.startsWith('/openai/')) return 'openai';
  if (lower.startsWith('/msi/')) return 'identity';
  return 'arm';
}

/** The failure an injected fault answers with; `mixed` draws 429, 500 or 503. */
function injectedFailure(deps: ServerDeps): SimHttpError {
  const configured = deps.knobs.armFailureStatus;
  const status = configured === 'mixed' ? ([429, 500, 503][Math.floor(deps.random.next() * 3)] ?? 500) : configured;
  if (status === 429) {
    const seconds = deps.knobs.retryAfterSeconds;
    return new SimHttpError(429, 'TooManyRequests', `The request is being throttled (simulated). Retry after ${seconds} seconds.`, { 'Retry-After': String(seconds) });
  }
  if (status === 503) return new SimHttpError(503, 'ServiceUnavailable', 'The service is temporarily unavailable (simulated). Retry the request.');
  return new SimHttpError(500, 'InternalServerError', `Encountered internal server error (simulated). Tracking id '${randomUUID()}'.`);
}

async function route(surface: Surface, req: SimRequest, deps: ServerDeps): Promise<SimReply> {
  const stats = deps.state.stats;
  switch (surface) {
    case 'arm':
      stats.armRequests += 1;
      if (deps.random.chance(deps.knobs.armFailureRate)) {
        stats.armInjectedFailures += 1;
        throw injectedFailure(deps);
      }
      return handleArm(req, deps);
    case 'graph':
      stats.graphRequests += 1;
      if (deps.random.chance(deps.knobs.graphFailureRate)) {
        stats.graphInjectedFailures += 1;
        throw injectedFailure(deps);
      }
      return handleGraph(req, deps);
    case 'connector':
      stats.connectorRequests += 1;
      return handleConnector(req, deps.state);
    case 'sim':
      return handleSimApi(req, deps);
    case 'openai':
      stats.openaiRequests += 1;
      return handleOpenAi(req, deps.state);
    case 'identity':
      return handleManagedIdentity(req, deps.identityHeader);
  }
}

function errorBody(surface: Surface, err: SimHttpError, req: SimRequest, requestId: string): unknown {
  if (surface === 'graph') {
    return {
      error: {
        code: err.code,
        message: err.message,
        innerError: { date: new Date().toISOString().replace(/\.\d{3}Z$/, ''), 'request-id': requestId, 'client-request-id': header(req, 'client-request-id') ?? requestId },
      },
    };
  }
  return { error: { code: err.code, message: err.message } };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(chunks.length === 0 ? '' : chunks.length === 1 ? (chunks[0] as Buffer).toString('utf8') : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function write(res: ServerResponse, status: number, body: unknown, headers: Record<string, string>): void {
  if (body === undefined || status === 204) {
    res.writeHead(status, headers);
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, { ...headers, 'content-type': 'application/json; charset=utf-8', 'content-length': String(Buffer.byteLength(text)) });
  res.end(text);
}

async function handle(raw: IncomingMessage, res: ServerResponse, deps: ServerDeps, fallbackHost: string): Promise<void> {
  const text = await readBody(raw);
  const { path, query } = splitTarget(raw.url ?? '/');
  let body: unknown;
  let bodyInvalid = false;
  if (text.trim().length > 0) {
    try {
      body = JSON.parse(text);
    } catch {
      bodyInvalid = true;
    }
  }
  const req: SimRequest = {
    method: (raw.method ?? 'GET').toUpperCase(),
    path,
    query,
    headers: raw.headers,
    body,
    bodyInvalid,
    origin: `https://${raw.headers.host ?? fallbackHost}`,
    clientIp: clientIpOf(raw.socket.remoteAddress),
  };
  const surface = surfaceOf(path);
  const requestId = randomUUID();
  const headers: Record<string, string> = { 'x-ms-request-id': requestId };
  if (surface === 'arm') headers['x-ms-correlation-request-id'] = header(req, 'x-ms-correlation-request-id') ?? requestId;
  if (surface === 'graph') headers['request-id'] = requestId;
  // Azure-like latency of an ARM round trip (knob, off by default); before the throttle, so a 429 costs it too.
  if (surface === 'arm' && deps.knobs.armLatencyMs > 0) await delay(deps.knobs.armLatencyMs);
  try {
    const throttled = surface === 'arm' ? throttleArm(req, deps, headers) : undefined;
    if (throttled) throw throttled;
    const reply = await route(surface, req, deps);
    write(res, reply.status, reply.body, { ...headers, ...reply.headers });
  } catch (err) {
    if (err instanceof SimHttpError) {
      write(res, err.status, errorBody(surface, err, req, requestId), { ...headers, ...err.headers });
      return;
    }
    console.error('[sim] unexpected error on', req.method, req.path, err);
    const message = err instanceof Error ? err.message : String(err);
    write(res, 500, errorBody(surface, new SimHttpError(500, 'InternalServerError', `The simulator failed: ${message}`), req, requestId), headers);
  }
}

export function createSimServer(tls: { key: string; cert: string }, deps: ServerDeps, fallbackHost: () => string): https.Server {
  const server = https.createServer({ key: tls.key, cert: tls.cert, keepAliveTimeout: 30_000 }, (req, res) => {
    handle(req, res, deps, fallbackHost()).catch((err: unknown) => {
      console.error('[sim] request failed', err);
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  return server;
}
