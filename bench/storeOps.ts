/**
 * Store-operation counters (per container and in total), so benchmarks and tests can say "one
 * event costs N store operations". They count what really crosses the wire: the counting HTTP
 * client is handed to the Cosmos SDK (`Instrumentation.cosmosHttpClient` of the composition
 * root, or `createCosmosClient({ httpClient })`), so a compare-and-swap retry shows up as extra
 * reads and replaces, and the SDK's own metadata reads are counted too (under their resource).
 */
import { createDefaultHttpClient, type HttpClient, type PipelineRequest } from '@azure/core-rest-pipeline';

export type StoreOp = 'read' | 'create' | 'replace' | 'upsert' | 'delete' | 'query' | 'patch' | 'metadata';

export interface StoreOpCounts {
  reads: number;
  creates: number;
  replaces: number;
  upserts: number;
  deletes: number;
  /** Query pages fetched: each page is one round-trip. */
  queries: number;
  /** Writes refused because someone else wrote first (412 on If-Match, 409 on create). */
  conflicts: number;
  /** Request units reported by the server (`x-ms-request-charge`; the embedded server says 1 per call). */
  requestUnits: number;
}

export interface StoreOpsSnapshot {
  total: StoreOpCounts;
  byContainer: Record<string, StoreOpCounts>;
}

const FIELD: Partial<Record<StoreOp, keyof StoreOpCounts>> = {
  read: 'reads',
  create: 'creates',
  replace: 'replaces',
  upsert: 'upserts',
  delete: 'deletes',
  query: 'queries',
  patch: 'replaces',
};

function zeroCounts(): StoreOpCounts {
  return { reads: 0, creates: 0, replaces: 0, upserts: 0, deletes: 0, queries: 0, conflicts: 0, requestUnits: 0 };
}

/** What a Cosmos REST call is: its container (undefined for account or database calls) and operation. */
export function classifyCosmosRequest(request: Pick<PipelineRequest, 'url' | 'method' | 'headers'>): { container: string | undefined; op: StoreOp } {
  const path = new URL(request.url).pathname.split('/').filter(Boolean);
  const colls = path.indexOf('colls');
  const container = colls >= 0 ? decodeURIComponent(path[colls + 1] ?? '') : undefined;
  const onDocs = colls >= 0 && path[colls + 2] === 'docs';
  if (!onDocs) return { container, op: 'metadata' };
  const docId = path[colls + 3];
  const header = (name: string) => request.headers.get(name)?.toLowerCase();
  switch (request.method) {
    case 'GET':
      return { container, op: docId ? 'read' : 'query' };
    case 'POST':
      // The SDK asks the gateway for a query plan before a cross-partition query: no data, no RU.
      if (header('x-ms-cosmos-is-query-plan-request') === 'true') return { container, op: 'metadata' };
      if (header('x-ms-documentdb-isquery') === 'true' || header('content-type')?.includes('query+json')) return { container, op: 'query' };
      return { container, op: header('x-ms-documentdb-is-upsert') === 'true' ? 'upsert' : 'create' };
    case 'PUT':
      return { container, op: 'replace' };
    case 'PATCH':
      return { container, op: 'patch' };
    case 'DELETE':
      return { container, op: 'delete' };
    default:
      return { container, op: 'metadata' };
  }
}

export class StoreOpCounter {
  private total = zeroCounts();
  private byContainer = new Map<string, StoreOpCounts>();

  /** One round-trip, whatever its outcome. Metadata calls of the SDK are not counted as document operations. */
  record(container: string, op: StoreOp, requestUnits: number | undefined, conflict = false): void {
    const field = FIELD[op];
    if (!field) return;
    let counts = this.byContainer.get(container);
    if (!counts) {
      counts = zeroCounts();
      this.byContainer.set(container, counts);
    }
    const ru = requestUnits !== undefined && Number.isFinite(requestUnits) ? requestUnits : 0;
    for (const target of [counts, this.total]) {
      target[field] += 1;
      target.requestUnits += ru;
      if (conflict) target.conflicts += 1;
    }
  }

  /** A copy: later operations do not change it. */
  snapshot(): StoreOpsSnapshot {
    const byContainer: Record<string, StoreOpCounts> = {};
    for (const [name, counts] of this.byContainer) byContainer[name] = { ...counts };
    return { total: { ...this.total }, byContainer };
  }

  reset(): void {
    this.total = zeroCounts();
    this.byContainer.clear();
  }

  /** An HTTP client for the Cosmos SDK that sends through the SDK's default client and counts every document operation here. */
  httpClient(inner: HttpClient = createDefaultHttpClient()): HttpClient {
    return {
      sendRequest: async (request) => {
        const { container, op } = classifyCosmosRequest(request);
        const response = await inner.sendRequest(request);
        if (container !== undefined) {
          const charge = Number(response.headers.get('x-ms-request-charge'));
          const conflict = response.status === 412 || (response.status === 409 && op === 'create');
          this.record(container, op, Number.isFinite(charge) ? charge : undefined, conflict);
        }
        return response;
      },
    };
  }
}

/** Operations between two snapshots (`after - before`), for "this event cost N operations" checks. */
export function diffStoreOps(before: StoreOpsSnapshot, after: StoreOpsSnapshot): StoreOpsSnapshot {
  const minus = (a: StoreOpCounts, b: StoreOpCounts | undefined): StoreOpCounts => {
    const out = zeroCounts();
    for (const key of Object.keys(out) as Array<keyof StoreOpCounts>) out[key] = a[key] - (b?.[key] ?? 0);
    return out;
  };
  const byContainer: Record<string, StoreOpCounts> = {};
  for (const [name, counts] of Object.entries(after.byContainer)) byContainer[name] = minus(counts, before.byContainer[name]);
  return { total: minus(after.total, before.total), byContainer };
}
