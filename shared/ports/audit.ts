/**
 * Ports of the audit ledger: what use cases depend on to record decisions (AuditSink), the whole
 * trail with its admin queries (AuditTrail), and where chain heads are anchored so that cutting
 * records off a chain's end is detected (AnchorSink).
 */
import type { ChainAnchor } from '../domain/audit/anchor';
import type { ChainTail } from '../domain/audit/chainVerifier';
import type { AuditQueryFilter } from '../domain/audit/queryPlan';
import type { AuditEntry, AuditRecord } from '../domain/audit/record';
import type { QueryPage } from './page';

export type { ChainAnchor };

export interface AppendOptions {
  /**
   * Makes the append idempotent: the same key records at most one entry (see
   * AuditLedger.appendOnce). Use a key derived from what is delivered more than once, e.g.
   * `${eventId}:${decision}` for an Event Grid event.
   */
  idempotencyKey?: string;
  /**
   * The caller holds `idempotencyKey` alone until this moment (performance.now() milliseconds):
   * a claim it created, which every other writer of the key checks `recorded` for before taking
   * it over. The record then carries the key without the ledger's marker (one store operation
   * fewer). Past the moment, the append falls back to the marker.
   */
  keyHeldUntil?: number;
  /** Entries with the same shard key go to the same chain of this process (ordered among themselves). */
  shardKey?: string;
}

export interface DuplicateAppend {
  duplicate: true;
}

/** What use cases call. Unit tests give them a fake typed by this port. */
export interface AuditSink {
  append(entry: AuditEntry, opts?: AppendOptions): Promise<AuditRecord | DuplicateAppend>;
}

export function isDuplicateAppend(result: AuditRecord | DuplicateAppend): result is DuplicateAppend {
  return 'duplicate' in result && result.duplicate === true;
}

/**
 * Somewhere chain heads are recorded. The Cosmos sink (state container) is the default; it
 * catches truncation by anyone who cannot also rewrite the anchor document. For an intruder with
 * the Cosmos writer's own rights, add a sink the writer cannot rewrite: e.g. an append blob per
 * chain in an Azure Storage container with a time-based retention (immutability) policy, written
 * through an identity that can only append; `read` returns the newest anchor in it.
 */
export interface AnchorSink {
  /** Shown in verify's problem text, e.g. `cosmos:state`. */
  readonly name: string;
  /** Records a chain head. Must never move a chain's anchor backwards (lower seq). */
  write(anchor: ChainAnchor): Promise<void>;
  /** The newest anchor of a chain, or undefined. */
  read(chainId: string): Promise<ChainAnchor | undefined>;
  /**
   * Every anchor in the sink, if it can list them cheaply: verify then reads them in one go
   * (instead of one `read` per chain) and reports an anchored chain missing from the registry.
   */
  readAll?(): Promise<ChainAnchor[]>;
}

export interface AuditVerification {
  ok: boolean;
  /** Records verified before the first problem (or in total). */
  checked: number;
  /** Chains seen. */
  chains: number;
  /** The first record where verification fails (in id order, i.e. chain by chain, in seq order); for a missing record, its id. */
  firstBadId?: string;
  problem?: string;
  /**
   * What "ok" covers: records past a chain's last anchor are consistent but could have been
   * rewritten or cut off by someone who can write the store. Totals, and the chains with such a
   * tail (most records first, at most 100).
   */
  tail?: {
    sinks: string[];
    unanchoredRecords: number;
    chainsWithUnanchoredRecords: number;
    maxUnanchoredSeconds: number;
    chains: ChainTail[];
  };
}

/** Admin queries: newest first, one page at a time. */
export type AuditQueryPage = QueryPage<AuditRecord>;

/** The ledger as the app uses it: append decisions, query and verify the trail, close chains on shutdown. */
export interface AuditTrail extends AuditSink {
  /** Which of these idempotency keys have their record in the ledger. */
  recorded(keys: readonly string[]): Promise<Set<string>>;
  query(filter: AuditQueryFilter): Promise<AuditQueryPage>;
  verify(opts?: { pageSize?: number }): Promise<AuditVerification>;
  /** Anchors and closes this process's chains. */
  close(): Promise<void>;
}
