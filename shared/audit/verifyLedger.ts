/**
 * Verifies the whole audit ledger: every registered chain walked in id order a page at a time
 * (ids, seq, prevHash links, recomputed hashes, anchors), chains known to an anchor sink but
 * missing from the registry, and records in chains nobody registered. Stops at the first problem.
 */
import type { Container } from '@azure/cosmos';
import { z } from 'zod';
import { fetchUpTo } from './fetchUpTo';
import { ChainWalker, type ChainProblem, type SourcedAnchor } from './chainVerifier';
import { listRegisteredChains } from './chainRegistry';
import { CosmosAnchorSink } from './cosmosAnchorSink';
import type { AnchorSink } from './ports';
import { recordId } from './record';

export interface AuditVerification {
  ok: boolean;
  /** Records verified (all chains) before the first problem, or in total. */
  checked: number;
  /** Chains walked. */
  chains: number;
  /** The first record where verification fails (in chain order); for a missing record, its id. */
  firstBadId?: string;
  problem?: string;
}

export interface VerifyLedgerOptions {
  audit: Container;
  state: Container;
  /** Where anchors are read from; default the Cosmos sink on `state`. */
  anchorSinks?: readonly AnchorSink[];
  /** Records per query page (memory bound). Default 1000. */
  pageSize?: number;
}

const rawDocSchema = z.record(z.string(), z.unknown());
const idAndChainSchema = z.object({ id: z.string(), chainId: z.unknown() });

export async function verifyAuditLedger(opts: VerifyLedgerOptions): Promise<AuditVerification> {
  const sinks = opts.anchorSinks ?? [new CosmosAnchorSink(opts.state)];
  const pageSize = opts.pageSize ?? 1000;
  const registered = await listRegisteredChains(opts.state);
  const registeredIds = new Set(registered.map((c) => c.chainId));
  let checked = 0;
  let chains = 0;
  const fail = (problem: ChainProblem): AuditVerification => ({ ok: false, checked, chains, firstBadId: problem.badId, problem: problem.problem });

  for (const { chainId } of registered) {
    // Anchors first: one taken after the walk could name records appended after we passed.
    const anchors = await readAnchors(sinks, chainId);
    const walker = new ChainWalker(chainId, anchors);
    chains += 1;
    const problem = await walkChain(opts.audit, walker, pageSize);
    checked += walker.checked;
    if (problem) return fail(problem);
  }

  for (const sink of sinks) {
    if (!sink.chainIds) continue;
    for (const chainId of await sink.chainIds()) {
      if (registeredIds.has(chainId)) continue;
      const anchor = await sink.read(chainId);
      return fail({
        badId: recordId(chainId, anchor?.seq ?? 0),
        problem: `chain ${chainId} is anchored in ${sink.name} but missing from the chain registry: its registry entry was deleted`,
      });
    }
  }

  const stray = await findUnregisteredRecord(opts, [...registeredIds]);
  if (stray) return fail(stray);
  return { ok: true, checked, chains };
}

async function readAnchors(sinks: readonly AnchorSink[], chainId: string): Promise<SourcedAnchor[]> {
  const found = await Promise.all(sinks.map(async (sink) => ({ sink: sink.name, anchor: await sink.read(chainId) })));
  return found.filter((a): a is SourcedAnchor => a.anchor !== undefined);
}

/** Keyset paging on id (ids of a chain sort in seq order), so each page is one fresh, bounded query. */
async function walkChain(audit: Container, walker: ChainWalker, pageSize: number): Promise<ChainProblem | undefined> {
  let after = '';
  for (;;) {
    const page = await fetchUpTo(
      audit,
      {
        query: 'SELECT TOP @take * FROM c WHERE c.chainId = @chainId AND c.id > @after ORDER BY c.id ASC',
        parameters: [
          { name: '@take', value: pageSize },
          { name: '@chainId', value: walker.chainId },
          { name: '@after', value: after },
        ],
      },
      rawDocSchema,
      pageSize,
      walker.chainId,
    );
    for (const doc of page) {
      const problem = walker.next(doc);
      if (problem) return problem;
    }
    if (page.length < pageSize) return walker.finish();
    after = String(page[page.length - 1]!['id']);
  }
}

/**
 * A record whose chain is not registered was written by someone else (or its chain's registry
 * entry was deleted). The registry is re-read before reporting: a chain opened while we walked is
 * not a problem.
 */
async function findUnregisteredRecord(opts: VerifyLedgerOptions, known: string[]): Promise<ChainProblem | undefined> {
  const query = (chainIds: string[]) =>
    fetchUpTo(
      opts.audit,
      {
        query: 'SELECT TOP 1 c.id, c.chainId FROM c WHERE NOT ARRAY_CONTAINS(@chainIds, c.chainId) ORDER BY c.id ASC',
        parameters: [{ name: '@chainIds', value: chainIds }],
      },
      idAndChainSchema,
      1,
    );
  let [stray] = await query(known);
  if (!stray) return undefined;
  const fresh = (await listRegisteredChains(opts.state)).map((c) => c.chainId);
  [stray] = await query(fresh);
  if (!stray) return undefined;
  return { badId: stray.id, problem: `record ${stray.id} is in chain ${JSON.stringify(stray.chainId)}, which is not registered: it was forged or its chain's registry entry was deleted` };
}
