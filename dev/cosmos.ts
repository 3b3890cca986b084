/**
 * The embedded Cosmos DB: `@vercel/cosmosdb-server` speaking the real wire protocol over HTTPS,
 * in memory, for the local host and integration tests. The real `@azure/cosmos` SDK talks to it.
 * `latencyMs` (off by default) holds every request that long before serving it, so a benchmark
 * can price a store round trip as Azure would rather than as loopback does.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHttpsServer } from '@vercel/cosmosdb-server';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const makeQuery = require('@zeit/cosmosdb-query').default as (sql: string) => object;

type Reducer = (acc: unknown[], item: unknown) => unknown[];

/**
 * The query engine behind the embedded server builds each query's rows with
 * `collection.reduce(($, c) => [...$, { c }], [])`: quadratic in the container size (measured:
 * 3.9 s for 20,000 documents, 304 s for 40,000). Its reducers only ever append to `$`, so the
 * collection's own `reduce` can run each one on an empty accumulator and push the result:
 * the same rows in the same order, in linear time. Applied once per process.
 */
function linearizeQueryScans(): void {
  const prototype = Object.getPrototypeOf(makeQuery('SELECT * FROM c')) as { exec: (coll: unknown[], opts: unknown) => unknown; __linear?: boolean };
  if (prototype.__linear) return;
  const exec = prototype.exec;
  prototype.exec = function (this: unknown, coll: unknown[], opts: unknown) {
    const rows = coll.slice();
    Object.defineProperty(rows, 'reduce', {
      value(this: unknown[], fn: Reducer, init: unknown[]) {
        const out = Array.from(init);
        for (const item of this) for (const produced of fn([], item)) out.push(produced);
        return out;
      },
    });
    return exec.call(this, rows, opts);
  };
  prototype.__linear = true;
}

/**
 * The well-known Cosmos DB emulator key. The embedded server does not check keys, but the SDK
 * signs every request with one, so it must be a valid base64 string.
 */
export const EMBEDDED_COSMOS_KEY = 'C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw==';

export interface EmbeddedCosmosOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /** Our own TLS identity: the certificate bundled with the server has expired. */
  tls: { key: string; cert: string };
  /** Delay before each request is served, in whole milliseconds (default 0: none). */
  latencyMs?: number;
}

export interface EmbeddedCosmos {
  /** `https://localhost:PORT` */
  endpoint: string;
  key: string;
  /** Delay before each request is served (whole milliseconds, 0 = none); may be changed at any time. */
  latencyMs: number;
  stop(): Promise<void>;
}

function checkedLatency(ms: number): number {
  if (!Number.isInteger(ms) || ms < 0 || ms > 10_000) throw new RangeError(`latencyMs must be whole milliseconds between 0 and 10000 (got ${ms})`);
  return ms;
}

type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

export async function startEmbeddedCosmos(opts: EmbeddedCosmosOptions): Promise<EmbeddedCosmos> {
  linearizeQueryScans();
  // Bound to 127.0.0.1 because the server advertises its bind address as the account endpoint,
  // and the SDK's endpoint discovery then switches to it (an IPv6 address would not form a URL).
  // keepAlive makes the server answer `connection: keep-alive`; with its default `close` every
  // operation pays a fresh TLS handshake (measured: ~420 instead of ~1,050 point reads/s).
  const server = createHttpsServer({ key: opts.tls.key, cert: opts.tls.cert, keepAlive: true });
  // Never close an idle socket from this side (Node's default: after 5 s). The SDK's agent keeps
  // idle sockets without a limit, and a close racing a request that reuses the socket fails it
  // with ECONNRESET, which the SDK retries for reads only: under load an e2e file saw a revocation's
  // record create fail that way. stop() ends the sockets.
  server.keepAliveTimeout = 0;
  // The server's own handler, behind the injected latency (one comparison when it is off). A held
  // request's body waits, paused, in its stream until the handler reads it.
  let latencyMs = checkedLatency(opts.latencyMs ?? 0);
  const [serve] = server.listeners('request') as RequestListener[];
  if (!serve) throw new Error('the embedded Cosmos server has no request handler');
  server.removeAllListeners('request');
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (latencyMs > 0) setTimeout(serve, latencyMs, req, res);
    else serve(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  let stopped: Promise<void> | undefined;
  return {
    endpoint: `https://localhost:${port}`,
    key: EMBEDDED_COSMOS_KEY,
    get latencyMs() {
      return latencyMs;
    },
    set latencyMs(ms: number) {
      latencyMs = checkedLatency(ms);
    },
    stop() {
      stopped ??= new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        // close() alone waits for idle keep-alive sockets held by SDK agents; end them so jest exits.
        server.closeAllConnections();
      });
      return stopped;
    },
  };
}
