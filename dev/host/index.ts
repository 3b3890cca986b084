/**
 * The local Functions host: serves the registration table on Node's HTTP server with the
 * Functions host's URL layout (`/<routePrefix>/<route>`, `/runtime/webhooks/eventgrid?functionName=`,
 * `/admin/functions/<name>`), building the same @azure/functions request and context objects
 * the worker builds, and runs timer functions on their NCRONTAB schedules. Like the Functions
 * host, its own endpoints come before any function route, and the route prefix is host.json's
 * (`extensions.http.routePrefix`, read by ./hostJson.ts; `api` when unset).
 */
import { InvocationContext } from '@azure/functions';
import type { EventGridEvent, HttpRequest, HttpResponseInit, LogLevel } from '@azure/functions';
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { format } from 'node:util';
import type { EventGridFunction, FunctionSpec, HttpFunction, TimerFunction } from '../../functions/types';
import { ConfigError, ValidationError } from '../../shared/domain/errors';
import type { RawEvent } from '../../shared/domain/events/envelope';
import { GENERIC_INTERNAL_MESSAGE, errorResponse, json } from '../../functions/http/respond';
import type { AuthEmulation } from './authEmulation';
import { answerEventGridRequest } from './eventGridWebhook';
import { methodNotAllowed, notFound, payloadTooLarge, stopping } from './hostResponses';
import { DEFAULT_MAX_REQUEST_BYTES, readRequestBody, toHttpRequest, writeHttpResponse } from './httpBridge';
import { parseNcrontab } from './ncrontab';
import { compileRouteTemplate, resolveRoute, type RoutedFunction } from './routeTemplate';
import { TimerScheduler } from './timers';

export interface StartHostOptions {
  /** 0 picks a free port. Default 7071, as the Functions host. */
  port?: number;
  functions: FunctionSpec[];
  /** Run timer functions on their schedules. Default false: tests run them with `runTimer`. */
  runTimers?: boolean;
  /** One line per invocation and per function log call. Default: discard. */
  log?: (line: string) => void;
  /** The clock schedules are computed against. Default: the system clock. */
  nowForTimers?: () => Date;
  /** Larger request bodies get 413. Default 1 MiB. */
  maxRequestBytes?: number;
  /** host.json `extensions.http.routePrefix`: the path every function route sits under. Default `api`, as the Functions host's. */
  routePrefix?: string;
  /** Local mode only: App Service authentication's `/.auth` endpoints and session cookie, emulated. */
  auth?: AuthEmulation;
}

export interface LocalHost {
  /** `http://localhost:PORT`, no trailing slash. */
  url: string;
  port: number;
  /** Runs a timer function now (after any run in progress); rejects with the handler's error. */
  runTimer(name: string): Promise<void>;
  /** Stops timers, waits for timer runs in progress, closes the server and its keep-alive sockets. */
  stop(): Promise<void>;
}

const DEFAULT_PORT = 7071;
/** The Functions host's route prefix when host.json sets none. */
export const DEFAULT_ROUTE_PREFIX = 'api';
/** How long stop() lets HTTP requests in progress finish before cutting their connections. */
const HTTP_DRAIN_MS = 5000;

export async function startHost(options: StartHostOptions): Promise<LocalHost> {
  const log = options.log ?? (() => undefined);
  const maxRequestBytes = options.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES;
  const table = buildTable(options.functions);
  const prefix = prefixSegments(options.routePrefix ?? DEFAULT_ROUTE_PREFIX);
  const scheduler = new TimerScheduler({
    functions: table.timers,
    now: options.nowForTimers ?? (() => new Date()),
    log,
    invoke: (spec, timer) => spec.handler(timer, newContext(spec.name, 'timerTrigger', 'timer', log)),
  });

  const inFlight = new Set<Promise<void>>();
  let isStopping = false;
  let port = 0;

  const server = createServer((req, res) => {
    const handled = serve(req, res).catch((err: unknown) => {
      log(`host failed to answer ${req.method} ${req.url}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      if (!res.headersSent) {
        res.statusCode = 500;
        res.setHeader('content-type', 'application/json; charset=utf-8');
        res.end(JSON.stringify({ error: { code: 'InternalError', message: GENERIC_INTERNAL_MESSAGE } }));
      } else res.destroy();
    });
    inFlight.add(handled);
    void handled.finally(() => inFlight.delete(handled));
  });

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const began = performance.now();
    const method = (req.method ?? 'GET').toUpperCase();
    const send = async (answer: HttpResponseInit, closeConnection = false): Promise<number> => {
      const close = closeConnection || isStopping;
      return writeHttpResponse(res, answer, { head: method === 'HEAD', extraHeaders: close ? { connection: 'close' } : {} });
    };
    const done = (what: string, status: number) => log(`${what} ${status} ${Math.round(performance.now() - began)}ms`);

    if (isStopping) return void done(`${method} ${req.url}`, await send(stopping(), true));
    const target = parseTarget(req, port);
    if (!target) return void done(`${method} ${req.url}`, await send(errorResponse(new ValidationError('The request path is not a valid URL path.', 'InvalidPath'))));
    const { url, segments } = target;
    const first = segments[0]?.toLowerCase();

    // App Service authentication answers /.auth itself and turns its session cookie into the principal headers.
    if (first === '.auth') {
      const answer = options.auth
        ? options.auth.answer(method, segments.slice(1).join('/'), url, req)
        : notFound('App Service authentication is emulated only by a local-mode host (npm start); deployed, App Service answers /.auth.');
      return void done(`auth ${method} ${url.pathname}`, await send(answer));
    }
    options.auth?.applySession(req);

    if (segments.length === 3 && first === 'runtime' && segments[1]!.toLowerCase() === 'webhooks' && segments[2]!.toLowerCase() === 'eventgrid') {
      const name = url.searchParams.get('functionName') ?? '';
      const spec = table.byName.get(name.toLowerCase());
      if (!name) return void done(`eventGrid ${method}`, await send(errorResponse(new ValidationError('Name the function: /runtime/webhooks/eventgrid?functionName=<name>.', 'InvalidEventGridRequest'))));
      if (!spec || spec.kind !== 'eventGrid') return void done(`eventGrid ${name}`, await send(notFound(`No Event Grid function named "${name}".`)));
      const body = await readRequestBody(req, maxRequestBytes);
      if (!body.ok) return void done(`eventGrid ${spec.name}`, await send(payloadTooLarge(maxRequestBytes), true));
      const answer = await answerEventGridRequest(
        { method, header: (h) => headerValue(req, h), body: body.body },
        (event, index) => invokeEventGrid(spec, event, index),
        (...args: unknown[]) => log(`eventGrid ${spec.name} failed: ${format(...args)}`),
      );
      return void done(`eventGrid ${spec.name} delivery`, await send(answer));
    }

    if (segments.length === 3 && first === 'admin' && segments[1]!.toLowerCase() === 'functions') {
      const name = segments[2]!;
      if (method !== 'POST') return void done(`admin ${name}`, await send(methodNotAllowed(method, ['POST'])));
      const body = await readRequestBody(req, maxRequestBytes);
      if (!body.ok) return void done(`admin ${name}`, await send(payloadTooLarge(maxRequestBytes), true));
      return void done(`admin ${name}`, await send(startTimerOnDemand(name, body.body)));
    }

    const underPrefix = startsWith(segments, prefix);
    if (underPrefix) {
      const resolution = resolveRoute(table.routes, method, segments.slice(prefix.length));
      if (resolution.kind === 'match') {
        const spec = resolution.target;
        const body = await readRequestBody(req, maxRequestBytes);
        if (!body.ok) return void done(`http ${spec.name} ${method} ${url.pathname}`, await send(payloadTooLarge(maxRequestBytes), true));
        const request = toHttpRequest(req, url.href, body.body, resolution.params);
        const status = await send(await invokeHttp(spec, request));
        return void done(`http ${spec.name} ${method} ${url.pathname}`, status);
      }
      if (resolution.kind === 'methodNotAllowed') {
        return void done(`http ${method} ${url.pathname}`, await send(methodNotAllowed(method, resolution.allow)));
      }
    }

    // The host's own home page, where no function claims the root (the Functions host shows one unless AzureWebJobsDisableHomepage).
    if (segments.length === 0) {
      if (method !== 'GET' && method !== 'HEAD') return void done(`${method} /`, await send(methodNotAllowed(method, ['GET'])));
      return void done(`${method} /`, await send(json(200, listing(table.all, hostUrl(port), prefix, scheduler))));
    }
    const where = prefix.length > 0 ? `functions are under /${prefix.join('/')}` : 'no function route matches it';
    return void done(`${method} ${url.pathname}`, await send(notFound(underPrefix ? `No function serves ${url.pathname}.` : `Nothing is served at ${url.pathname}; ${where}.`)));
  }

  async function invokeHttp(spec: HttpFunction, request: HttpRequest): Promise<HttpResponseInit> {
    try {
      return (await spec.handler(request, newContext(spec.name, 'httpTrigger', 'request', log))) ?? {};
    } catch (err) {
      // The Functions host answers an uncaught error with a bare 500: handlers map errors with errorResponse.
      log(`http ${spec.name} threw: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      return json(500, { error: { code: 'InternalError', message: GENERIC_INTERNAL_MESSAGE } });
    }
  }

  async function invokeEventGrid(spec: EventGridFunction, event: RawEvent, index: number): Promise<void> {
    const began = performance.now();
    const what = `eventGrid ${spec.name} event[${index}] ${event.id}`;
    try {
      // Handlers receive the event as delivered, in whichever schema it came.
      await spec.handler(event as unknown as EventGridEvent, newContext(spec.name, 'eventGridTrigger', 'event', log));
      log(`${what} ok ${Math.round(performance.now() - began)}ms`);
    } catch (err) {
      log(`${what} failed ${Math.round(performance.now() - began)}ms: ${err instanceof Error ? err.message : String(err)}`);
      throw err;
    }
  }

  function startTimerOnDemand(name: string, body: Buffer): HttpResponseInit {
    const spec = table.byName.get(name.toLowerCase());
    if (!spec) return notFound(`No function named "${name}".`);
    if (spec.kind !== 'timer') {
      return errorResponse(
        new ValidationError(
          `"${spec.name}" is ${spec.kind === 'http' ? 'an HTTP' : 'an Event Grid'} function; /admin/functions runs timer functions only.`,
          'NotATimerFunction',
        ),
      );
    }
    const text = body.toString('utf8').trim();
    if (text.length > 0) {
      let input: unknown;
      try {
        input = JSON.parse(text);
      } catch {
        input = undefined;
      }
      if (input === null || typeof input !== 'object' || Array.isArray(input)) {
        return errorResponse(new ValidationError('Send {"input": ""} (a JSON object) to run a timer function.', 'InvalidRequest'));
      }
    }
    // Like the Functions host: accepted now, run in the background (failures are logged by the scheduler).
    scheduler.runNow(spec.name).catch(() => undefined);
    return { status: 202 };
  }

  const requestedPort = options.port ?? DEFAULT_PORT;
  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      reject(err.code === 'EADDRINUSE' ? new ConfigError(`Port ${requestedPort} is already in use; choose another with PORT.`) : err);
    };
    server.once('error', onError);
    server.listen(requestedPort, '127.0.0.1', () => {
      server.off('error', onError);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;
  if (options.runTimers) scheduler.start();

  let stopped: Promise<void> | undefined;
  return {
    url: hostUrl(port),
    port,
    runTimer: (name) => scheduler.runNow(name),
    stop() {
      stopped ??= (async () => {
        isStopping = true;
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        await scheduler.stop();
        let drainTimer: NodeJS.Timeout | undefined;
        const drainLimit = new Promise<void>((resolve) => (drainTimer = setTimeout(resolve, HTTP_DRAIN_MS)));
        await Promise.race([Promise.allSettled([...inFlight]), drainLimit]);
        clearTimeout(drainTimer);
        server.closeAllConnections();
        await closed;
      })();
      return stopped;
    },
  };
}

interface FunctionTable {
  all: FunctionSpec[];
  byName: Map<string, FunctionSpec>;
  routes: RoutedFunction<HttpFunction>[];
  timers: TimerFunction[];
}

/** Checks the table once at start: unique names, valid routes, valid schedules. */
function buildTable(functions: FunctionSpec[]): FunctionTable {
  const byName = new Map<string, FunctionSpec>();
  const routes: RoutedFunction<HttpFunction>[] = [];
  const timers: TimerFunction[] = [];
  for (const spec of functions) {
    const key = spec.name.toLowerCase();
    if (!/^[A-Za-z][A-Za-z0-9_-]*$/.test(spec.name)) throw new ConfigError(`Function name "${spec.name}" must start with a letter and use letters, digits, - or _.`);
    if (byName.has(key)) throw new ConfigError(`Two functions are named "${spec.name}" (names are case-insensitive).`);
    byName.set(key, spec);
    if (spec.kind === 'http') {
      const route = compileRouteTemplate(spec.route);
      const methods = spec.methods.map((m) => m.toUpperCase() as HttpFunction['methods'][number]);
      const clash = routes.find(
        (r) =>
          r.route.template.replace(/^\/+|\/+$/g, '').toLowerCase() === spec.route.replace(/^\/+|\/+$/g, '').toLowerCase() &&
          (r.methods.length === 0 || methods.length === 0 || r.methods.some((m) => methods.includes(m))),
      );
      if (clash) throw new ConfigError(`Functions "${clash.target.name}" and "${spec.name}" both serve ${methods.join('/') || 'every method'} on route "${spec.route}".`);
      routes.push({ route, methods, target: spec });
    } else if (spec.kind === 'timer') {
      try {
        parseNcrontab(spec.schedule);
      } catch (err) {
        throw new ConfigError(`Timer function "${spec.name}": ${(err as Error).message}`);
      }
      timers.push(spec);
    }
  }
  return { all: functions, byName, routes, timers };
}

function newContext(functionName: string, triggerType: string, triggerName: string, log: (line: string) => void): InvocationContext {
  return new InvocationContext({
    invocationId: randomUUID(),
    functionName,
    logHandler: (level: LogLevel, ...args: unknown[]) => log(`[${functionName}] ${level}: ${format(...args)}`),
    options: { trigger: { type: triggerType, name: triggerName } },
  });
}

/** The request's URL as the function sees it, and its decoded path segments; undefined when unusable. */
function parseTarget(req: IncomingMessage, port: number): { url: URL; segments: string[] } | undefined {
  const hostHeader = req.headers.host;
  const origin = hostHeader && /^[A-Za-z0-9.\-[\]:]+$/.test(hostHeader) ? `http://${hostHeader}` : hostUrl(port);
  if (!req.url?.startsWith('/')) return undefined;
  let url: URL;
  try {
    // Concatenated, not resolved: "//x/y" is a path here, not a protocol-relative URL to host x.
    url = new URL(`${origin}${req.url}`);
    const segments = url.pathname.split('/').slice(1);
    if (segments.at(-1) === '') segments.pop();
    return { url, segments: segments.map((s) => decodeURIComponent(s)) };
  } catch {
    return undefined;
  }
}

/** `api` -> ['api'], `` -> [], `/v1/api/` -> ['v1', 'api'] (compared case-insensitively). */
function prefixSegments(routePrefix: string): string[] {
  return routePrefix.split('/').filter((s) => s.length > 0).map((s) => s.toLowerCase());
}

function startsWith(segments: readonly string[], prefix: readonly string[]): boolean {
  return prefix.every((p, i) => segments[i]?.toLowerCase() === p);
}

function headerValue(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name.toLowerCase()];
  return Array.isArray(value) ? value.join(', ') : value;
}

function hostUrl(port: number): string {
  return `http://localhost:${port}`;
}

function listing(functions: FunctionSpec[], base: string, prefix: readonly string[], scheduler: TimerScheduler): unknown {
  const routeBase = [base, ...prefix].join('/');
  return {
    functions: functions.map((spec) => {
      switch (spec.kind) {
        case 'http':
          return { name: spec.name, kind: spec.kind, methods: spec.methods, url: `${routeBase}/${spec.route.replace(/^\/+/, '')}` };
        case 'eventGrid':
          return { name: spec.name, kind: spec.kind, url: `${base}/runtime/webhooks/eventgrid?functionName=${encodeURIComponent(spec.name)}` };
        case 'timer':
          return {
            name: spec.name,
            kind: spec.kind,
            schedule: spec.schedule,
            runUrl: `${base}/admin/functions/${encodeURIComponent(spec.name)}`,
            nextRun: scheduler.nextDue(spec.name)?.toISOString() ?? null,
          };
      }
    }),
  };
}
