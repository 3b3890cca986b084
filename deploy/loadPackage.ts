/**
 * Loads a Functions entry point as the Node worker would, without the worker:
 * `node dist/deploy/loadPackage.js <main.js> [invocations.json] [--load-app]`. It answers the entry's
 * `require('@azure/functions-core')` with a stand-in that records every registration (so
 * `@azure/functions` registers for real instead of switching to test mode), then runs the given
 * invocations through the registered handlers and prints one JSON line:
 *   { importMs, appMs?, registered: [{ name, bindings }], results: [{ name, status?, body?, error? }] }
 * `--load-app` also loads the package's app.js (what its first invocation loads) and times it.
 * The package test compares what the package and the build register, and invokes the package
 * against the local stack; the benchmark times the import.
 */
import Module from 'node:module';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { HttpRequest, InvocationContext, type HttpResponseInit } from '@azure/functions';

export type Invocation =
  | { name: string; kind: 'http'; method: string; url: string; headers?: Record<string, string> }
  | { name: string; kind: 'eventGrid'; event: unknown };

export interface LoadReport {
  importMs: number;
  /** With --load-app: the time to load the package's app.js and build its handlers, after the import. */
  appMs?: number;
  registered: Array<{ name: string; bindings: Record<string, Record<string, unknown>> }>;
  results: Array<{ name: string; status?: number; body?: unknown; error?: string; logs: string[] }>;
}

type Handler = (input: unknown, context: InvocationContext) => Promise<unknown>;

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const [entry, invocationsFile] = args.filter((a) => !a.startsWith('--'));
  if (!entry) throw new Error('usage: node dist/deploy/loadPackage.js <main.js> [invocations.json]');
  const handlers = new Map<string, Handler>();
  const registered: LoadReport['registered'] = [];
  const core = {
    version: '3.10.1',
    registerFunction(metadata: { name: string; bindings: Record<string, Record<string, unknown>> }, handler: Handler) {
      registered.push({ name: metadata.name, bindings: metadata.bindings });
      handlers.set(metadata.name, handler);
      return { dispose() {} };
    },
    setProgrammingModel() {},
    registerHook() {
      return { dispose() {} };
    },
    log() {},
  };
  const moduleLoader = Module as unknown as { _load(request: string, parent: unknown, isMain: boolean): unknown };
  const load = moduleLoader._load;
  moduleLoader._load = function (request, parent, isMain) {
    return request === '@azure/functions-core' ? core : load.call(this, request, parent, isMain);
  };

  const started = performance.now();
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require(resolve(entry));
  const importMs = performance.now() - started;
  let appMs: number | undefined;
  if (args.includes('--load-app')) {
    const appStarted = performance.now();
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    (require(join(dirname(resolve(entry)), 'app.js')) as { handlers(): unknown }).handlers();
    appMs = performance.now() - appStarted;
  }

  const results: LoadReport['results'] = [];
  const invocations = invocationsFile ? (JSON.parse(readFileSync(invocationsFile, 'utf8')) as Invocation[]) : [];
  for (const invocation of invocations) {
    const logs: string[] = [];
    const context = new InvocationContext({ functionName: invocation.name, logHandler: (level, ...args) => void logs.push(`${level}: ${args.map(String).join(' ')}`) });
    const handler = handlers.get(invocation.name);
    if (!handler) {
      results.push({ name: invocation.name, error: 'not registered', logs });
      continue;
    }
    try {
      if (invocation.kind === 'http') {
        const response = (await handler(new HttpRequest({ method: invocation.method, url: invocation.url, headers: invocation.headers ?? {} }), context)) as HttpResponseInit;
        results.push({ name: invocation.name, status: response.status ?? 200, body: response.jsonBody ?? response.body, logs });
      } else {
        await handler(invocation.event, context);
        results.push({ name: invocation.name, logs });
      }
    } catch (err) {
      results.push({ name: invocation.name, error: err instanceof Error ? err.message : String(err), logs });
    }
  }
  const report: LoadReport = { importMs, ...(appMs !== undefined ? { appMs } : {}), registered, results };
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

if (require.main === module) {
  main().then(
    // The app keeps clients (and their sockets) open: the report is out, so end here.
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
