/**
 * Store-operation counters (per container and in total) so benchmarks and tests can assert
 * "one event costs N store operations". Plain numbers, bumped once per round-trip by the
 * document helpers; a CAS retry therefore shows up as extra reads and replaces.
 */

export type StoreOp = 'read' | 'create' | 'replace' | 'upsert' | 'delete' | 'query';

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

const FIELD: Record<StoreOp, keyof StoreOpCounts> = {
  read: 'reads',
  create: 'creates',
  replace: 'replaces',
  upsert: 'upserts',
  delete: 'deletes',
  query: 'queries',
};

function zeroCounts(): StoreOpCounts {
  return { reads: 0, creates: 0, replaces: 0, upserts: 0, deletes: 0, queries: 0, conflicts: 0, requestUnits: 0 };
}

class StoreOpCounter {
  private total = zeroCounts();
  private byContainer = new Map<string, StoreOpCounts>();

  /** Called by the document helpers only, once per round-trip, whatever its outcome. */
  record(container: string, op: StoreOp, requestUnits: number | undefined, conflict = false): void {
    let counts = this.byContainer.get(container);
    if (!counts) {
      counts = zeroCounts();
      this.byContainer.set(container, counts);
    }
    const field = FIELD[op];
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
}

/** Process-wide: every store helper counts here, whichever client it was given. */
export const storeOps = new StoreOpCounter();

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
