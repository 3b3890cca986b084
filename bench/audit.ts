/**
 * Audit ledger benchmark on the embedded Cosmos (real SDK over HTTPS, server in this process):
 * appends/s from concurrent writers, verify time over N records, and first-page latency of a
 * principal query over N records. Run alone: `node dist/bench/audit.js [--records=20000]`.
 */
import { performance } from 'node:perf_hooks';
import { BulkOperationType, type JSONObject, type OperationInput } from '@azure/cosmos';
import { startEmbeddedCosmos } from '../dev/cosmos';
import { generateLocalTls } from '../dev/tls';
import { registerChain } from '../shared/adapters/ledger/chainRegistry';
import { CosmosAnchorSink } from '../shared/adapters/ledger/cosmosAnchorSink';
import { AuditLedger } from '../shared/adapters/ledger/ledger';
import { GENESIS_PREV_HASH, parseAuditEntry, sealRecord, type AuditEntry, type AuditRecord } from '../shared/domain/audit/record';
import { createCosmosClient } from '../shared/adapters/cosmos/client';
import { ensureDatabase } from '../shared/adapters/cosmos/containers';

export interface BenchAuditOptions {
  /** Records in the ledger for the verify and query figures. Default 100,000. */
  records?: number;
  /** Appends timed through the ledger (the rest of `records` is seeded in batches). Default 4,000. */
  appends?: number;
  /** AuditLedger instances appending at once ("processes"). Default 4. */
  writers?: number;
  /** Appends in flight per writer. Default 8. */
  inFlightPerWriter?: number;
  /** Distinct principals among the records: a principal query matches records / principals. Default 200. */
  principals?: number;
  /** Records per verify page. Default 1000. */
  verifyPageSize?: number;
}

const SCOPE = '/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-weights';

function sampleEntry(i: number, principals: number): AuditEntry {
  return {
    action: i % 3 === 0 ? 'grant.created' : i % 3 === 1 ? 'approval.recorded' : 'assignment.wouldRevoke',
    actor: { id: `actor-${i % 17}`, name: 'Bench Actor' },
    principalId: `principal-${i % principals}`,
    scope: `${SCOPE}/providers/Microsoft.Storage/storageAccounts/st${i % 10}`,
    requestId: `req-${i % 5000}`,
    reason: 'benchmark record',
    details: { i },
  };
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

const round = (n: number, digits = 1) => Number(n.toFixed(digits));

export async function benchAudit(opts: BenchAuditOptions = {}): Promise<Record<string, number>> {
  const records = opts.records ?? 100_000;
  const appends = Math.min(opts.appends ?? 4000, records);
  const writers = opts.writers ?? 4;
  const inFlight = opts.inFlightPerWriter ?? 8;
  const principals = opts.principals ?? 200;
  const tls = await generateLocalTls();
  const server = await startEmbeddedCosmos({ port: 0, tls });
  const client = createCosmosClient({ endpoint: server.endpoint, key: server.key, ca: tls.cert });
  try {
    const stores = await ensureDatabase(client, 'bench-audit');
    const result: Record<string, number> = { records, writers, inFlightPerWriter: inFlight };

    // 1. Appends through the ledger: several instances at once, each with several appends in flight.
    const ledgers = Array.from({ length: writers }, (_, w) => new AuditLedger({ audit: stores.audit, state: stores.state, instanceTag: `bench${w}` }));
    const latencies: number[] = [];
    let next = 0;
    const appendStart = performance.now();
    await Promise.all(
      ledgers.flatMap((ledger) =>
        Array.from({ length: inFlight }, async () => {
          for (let i = next++; i < appends; i = next++) {
            const t = performance.now();
            await ledger.append(sampleEntry(i, principals));
            latencies.push(performance.now() - t);
          }
        }),
      ),
    );
    const appendMs = performance.now() - appendStart;
    await Promise.all(ledgers.map((l) => l.close()));
    latencies.sort((a, b) => a - b);
    result['appends'] = appends;
    result['appendsPerSec'] = round((appends / appendMs) * 1000, 0);
    result['appendP50Ms'] = round(percentile(latencies, 50), 2);
    result['appendP99Ms'] = round(percentile(latencies, 99), 2);

    // 2. Seed the rest as valid, registered, anchored chains in transactional batches (the
    //    embedded server takes ~10k documents/s that way, ~20x what single creates manage).
    const seedStart = performance.now();
    const seedChains = 16;
    const perChain = Math.ceil((records - appends) / seedChains);
    const sink = new CosmosAnchorSink(stores.state);
    let seeded = 0;
    for (let c = 0; c < seedChains && seeded < records - appends; c += 1) {
      const chainId = `seed-${c.toString(16).padStart(8, '0')}`;
      const openedAt = new Date().toISOString();
      await registerChain(stores.state, { chainId, openedAt });
      let prevHash = GENESIS_PREV_HASH;
      let batch: AuditRecord[] = [];
      let head: AuditRecord | undefined;
      const count = Math.min(perChain, records - appends - seeded);
      for (let seq = 0; seq <= count; seq += 1) {
        const entry = seq === 0 ? parseAuditEntry({ action: 'chain.opened', actor: { name: 'bench' } }) : parseAuditEntry(sampleEntry(seeded + seq, principals));
        head = sealRecord({ ...entry, at: new Date(Date.parse(openedAt) + seq).toISOString() }, { chainId, seq, prevHash });
        prevHash = head.hash;
        batch.push(head);
        if (batch.length === 100 || seq === count) {
          const response = await stores.audit.items.batch(
            batch.map((doc): OperationInput => ({ operationType: BulkOperationType.Create, resourceBody: doc as unknown as JSONObject })),
            chainId,
          );
          if (response.result?.some((r) => r.statusCode >= 400)) throw new Error(`seeding chain ${chainId} failed`);
          batch = [];
        }
      }
      seeded += count;
      await sink.write({ chainId, seq: head!.seq, hash: head!.hash, at: new Date().toISOString(), closed: true });
    }
    result['seedSeconds'] = round((performance.now() - seedStart) / 1000);

    // 3. Verify every chain.
    const verifier = new AuditLedger({ audit: stores.audit, state: stores.state, instanceTag: 'verify' });
    const verifyStart = performance.now();
    const verdict = await verifier.verify(opts.verifyPageSize !== undefined ? { pageSize: opts.verifyPageSize } : {});
    const verifyMs = performance.now() - verifyStart;
    if (!verdict.ok) throw new Error(`bench ledger does not verify: ${verdict.problem}`);
    result['verifiedRecords'] = verdict.checked;
    result['verifyChains'] = verdict.chains;
    result['verifyMs'] = round(verifyMs, 0);
    result['verifyRecordsPerSec'] = round((verdict.checked / verifyMs) * 1000, 0);

    // 4. First page (50, newest first) of one principal's records.
    const queryTimes: number[] = [];
    let matched = 0;
    for (let run = 0; run < 5; run += 1) {
      const t = performance.now();
      const page = await verifier.query({ principalId: `principal-${run * 7}` });
      queryTimes.push(performance.now() - t);
      matched = page.items.length;
    }
    queryTimes.sort((a, b) => a - b);
    result['principalQueryFirstPageMs'] = round(percentile(queryTimes, 50), 1);
    result['principalQueryFirstPageMaxMs'] = round(queryTimes[queryTimes.length - 1]!, 1);
    result['principalQueryPageItems'] = matched;
    await verifier.close();
    return result;
  } finally {
    client.dispose();
    await server.stop();
  }
}

function parseArgs(argv: string[]): BenchAuditOptions {
  const opts: BenchAuditOptions = {};
  const keys = ['records', 'appends', 'writers', 'inFlightPerWriter', 'principals', 'verifyPageSize'] as const;
  for (const arg of argv) {
    const m = /^--([A-Za-z]+)=(\d+)$/.exec(arg);
    const key = keys.find((k) => k === m?.[1]);
    if (!m || !key) throw new Error(`Unknown argument ${arg}; use --${keys.join('=N, --')}=N`);
    opts[key] = Number(m[2]);
  }
  return opts;
}

if (require.main === module) {
  benchAudit(parseArgs(process.argv.slice(2)))
    .then((figures) => console.log(JSON.stringify(figures)))
    .catch((err: unknown) => {
      console.error(err);
      process.exitCode = 1;
    });
}
