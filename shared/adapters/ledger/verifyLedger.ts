/**
 * Verifies the whole audit ledger in one pass over the `audit` container in id order. Record ids
 * are `<chainId>:<seq>` and chain ids contain no `:`, so each chain's records are contiguous and in
 * seq order: one bounded page at a time, whatever the number of chains, each record is checked
 * against its chain (ids, seq, prevHash links, recomputed hash, anchors) and against the registry.
 * Chains that are registered or anchored but never seen are checked last. Stops at the first problem.
 */
import type { Container } from '@azure/cosmos';
import { z } from 'zod';
import { fetchUpTo } from './fetchUpTo';
import { ChainWalker, type ChainProblem, type ChainTail, type SourcedAnchor } from '../../domain/audit/chainVerifier';
import { listRegisteredChains } from './chainRegistry';
import { CosmosAnchorSink } from './cosmosAnchorSink';
import type { AnchorSink, AuditVerification } from '../../ports/audit';

export type { AuditVerification };
import { recordId } from '../../domain/audit/record';

export interface VerifyLedgerOptions {
  audit: Container;
  state: Container;
  /** Where anchors are read from; default the Cosmos sink on `state`. */
  anchorSinks?: readonly AnchorSink[];
  /** Records per query page: the memory bound. Default 1000. */
  pageSize?: number;
}

const rawDocSchema = z.record(z.string(), z.unknown());

/** Only forged copies make more than a page of documents share one id (one per partition). */
class CrowdedIdError extends Error {
  constructor(readonly id: string) {
    super(`more than a page of audit documents share the id ${id}`);
  }
}

/** Chains with an unanchored tail listed in the answer; the totals count them all. */
const MAX_TAILS_REPORTED = 100;

/** Chains opened while we walk show up as unknown: the registry is re-read, a few times at most. */
const MAX_REGISTRY_REFRESHES = 3;

export async function verifyAuditLedger(opts: VerifyLedgerOptions): Promise<AuditVerification> {
  try {
    return await walkLedger(opts);
  } catch (err) {
    if (!(err instanceof CrowdedIdError)) throw err;
    return { ok: false, checked: 0, chains: 0, firstBadId: err.id, problem: `more than a page of documents in different chains share the id ${err.id}: copies were forged` };
  }
}

async function walkLedger(opts: VerifyLedgerOptions): Promise<AuditVerification> {
  const sinks = opts.anchorSinks ?? [new CosmosAnchorSink(opts.state)];
  const pageSize = opts.pageSize ?? 1000;
  // Registry and anchors before the records: an anchor read after the walk could name records
  // appended after we passed them.
  const registered = await listRegisteredChains(opts.state);
  const registry = new Set(registered.map((c) => c.chainId));
  const anchors = await loadAnchors(sinks, [...registry]);

  let checked = 0;
  let chains = 0;
  let walker: ChainWalker | undefined;
  const sinkNames = sinks.map((s) => s.name);
  const tails: ChainTail[] = [];
  const tailed = (w: ChainWalker) => {
    const t = w.tail(sinkNames);
    if (t.unanchoredRecords > 0) tails.push(t);
  };
  const result = (problem?: ChainProblem): AuditVerification => {
    const total = checked + (walker?.checked ?? 0);
    if (problem) return { ok: false, checked: total, chains, firstBadId: problem.badId, problem: problem.problem };
    tails.sort((a, b) => b.unanchoredRecords - a.unanchoredRecords);
    return {
      ok: true,
      checked: total,
      chains,
      tail: {
        sinks: sinkNames,
        unanchoredRecords: tails.reduce((n, t) => n + t.unanchoredRecords, 0),
        chainsWithUnanchoredRecords: tails.length,
        maxUnanchoredSeconds: tails.reduce((m, t) => Math.max(m, t.unanchoredSeconds), 0),
        chains: tails.slice(0, MAX_TAILS_REPORTED),
      },
    };
  };

  for (const [chainId, sourced] of anchors) {
    if (!registry.has(chainId)) {
      const { sink, anchor } = sourced[0]!;
      return result({ badId: recordId(chainId, anchor.seq), problem: `chain ${chainId} is anchored in ${sink} but missing from the chain registry: its registry entry was deleted` });
    }
  }

  const seen = new Set<string>();
  let refreshes = 0;
  for await (const doc of recordsInIdOrder(opts.audit, pageSize)) {
    const id = String(doc['id']);
    const chainId = doc['chainId'];
    if (typeof chainId !== 'string' || !id.startsWith(`${chainId}:`)) {
      return result({ badId: id, problem: `record ${id} is stored in chain ${JSON.stringify(chainId)} but its id belongs elsewhere: it was inserted or moved` });
    }
    if (walker?.chainId !== chainId) {
      const ended = walker?.finish();
      if (ended) return result(ended);
      if (walker) tailed(walker);
      checked += walker?.checked ?? 0;
      walker = undefined;
      if (seen.has(chainId)) return result({ badId: id, problem: `record ${id} sorts apart from the rest of chain ${chainId}: it was inserted` });
      if (!registry.has(chainId) && refreshes < MAX_REGISTRY_REFRESHES) {
        refreshes += 1;
        for (const c of await listRegisteredChains(opts.state)) registry.add(c.chainId);
      }
      if (!registry.has(chainId)) {
        return result({ badId: id, problem: `record ${id} is in chain ${chainId}, which is not registered: it was forged or its chain's registry entry was deleted` });
      }
      seen.add(chainId);
      chains += 1;
      walker = new ChainWalker(chainId, anchors.get(chainId) ?? []);
    }
    const problem = walker.next(doc);
    if (problem) return result(problem);
  }
  const ended = walker?.finish();
  if (ended) return result(ended);
  if (walker) tailed(walker);
  checked += walker?.checked ?? 0;
  walker = undefined;

  // Registered chains without a single record: harmless unless an anchor proves records existed.
  for (const { chainId } of registered) {
    if (seen.has(chainId)) continue;
    const problem = new ChainWalker(chainId, anchors.get(chainId) ?? []).finish();
    if (problem) return result(problem);
  }
  return result();
}

async function loadAnchors(sinks: readonly AnchorSink[], chainIds: string[]): Promise<Map<string, SourcedAnchor[]>> {
  const byChain = new Map<string, SourcedAnchor[]>();
  const add = (sink: string, anchor: SourcedAnchor['anchor']) => {
    const list = byChain.get(anchor.chainId) ?? [];
    list.push({ sink, anchor });
    byChain.set(anchor.chainId, list);
  };
  for (const sink of sinks) {
    if (sink.readAll) {
      for (const anchor of await sink.readAll()) add(sink.name, anchor);
      continue;
    }
    for (const chainId of chainIds) {
      const anchor = await sink.read(chainId);
      if (anchor) add(sink.name, anchor);
    }
  }
  return byChain;
}

/**
 * Every document of the container in id order, a bounded page per query. Keyset on id with `>=`:
 * ids are unique per partition only, so a forged copy of an id in another partition must not fall
 * between two pages; documents already yielded at the boundary id are skipped by partition.
 */
async function* recordsInIdOrder(audit: Container, pageSize: number): AsyncGenerator<Readonly<Record<string, unknown>>> {
  let boundary: { id: string; chainIds: Set<unknown> } | undefined;
  for (;;) {
    const page = await fetchUpTo(
      audit,
      {
        query: boundary ? 'SELECT TOP @take * FROM c WHERE c.id >= @after ORDER BY c.id ASC' : 'SELECT TOP @take * FROM c ORDER BY c.id ASC',
        parameters: [{ name: '@take', value: pageSize }, ...(boundary ? [{ name: '@after', value: boundary.id }] : [])],
      },
      rawDocSchema,
      pageSize,
    );
    let fresh = 0;
    for (const doc of page) {
      const id = String(doc['id']);
      if (boundary && id === boundary.id && boundary.chainIds.has(doc['chainId'])) continue;
      fresh += 1;
      if (boundary?.id !== id) boundary = { id, chainIds: new Set() };
      boundary.chainIds.add(doc['chainId']);
      yield doc;
    }
    if (page.length < pageSize) return;
    if (fresh === 0) throw new CrowdedIdError(boundary!.id);
  }
}
