/**
 * An in-memory AuditSink: one hash chain in an array, with the same validation, sealing and
 * idempotency-key semantics as the ledger (minus the store). For unit tests of use cases, typed
 * by the port, and for tools that need a ledger without Cosmos.
 */
import { sha256Hex } from '../../domain/audit/canonicalJson';
import { verifyChainRecords, type ChainVerdict } from '../../domain/audit/chainVerifier';
import type { AppendOptions, AuditSink, DuplicateAppend } from '../../ports/audit';
import { GENESIS_PREV_HASH, parseAuditEntry, sealRecord, type AuditEntry, type AuditRecord, type NormalizedAuditEntry } from '../../domain/audit/record';

export class MemoryAuditSink implements AuditSink {
  readonly chainId = 'memory-00000000';
  /** Every record, genesis first; read it in assertions. */
  readonly records: AuditRecord[] = [];
  private readonly keys = new Set<string>();

  constructor(private readonly now: () => Date = () => new Date()) {
    this.push(parseAuditEntry({ action: 'chain.opened', actor: { name: 'AccessManager' } }));
  }

  async append(entry: AuditEntry, opts: AppendOptions = {}): Promise<AuditRecord | DuplicateAppend> {
    const normalized = parseAuditEntry(entry);
    const keyHash = opts.idempotencyKey !== undefined ? sha256Hex(opts.idempotencyKey) : undefined;
    if (keyHash !== undefined) {
      if (this.keys.has(keyHash)) return { duplicate: true };
      this.keys.add(keyHash);
    }
    return this.push(normalized, keyHash);
  }

  /** The records of one action, in append order. */
  ofAction(action: AuditRecord['action']): AuditRecord[] {
    return this.records.filter((r) => r.action === action);
  }

  verify(): ChainVerdict {
    return verifyChainRecords(this.chainId, this.records);
  }

  private push(normalized: NormalizedAuditEntry, keyHash?: string): AuditRecord {
    const last = this.records[this.records.length - 1];
    const record = sealRecord(
      { ...normalized, at: normalized.at ?? this.now().toISOString() },
      { chainId: this.chainId, seq: this.records.length, prevHash: last?.hash ?? GENESIS_PREV_HASH },
      keyHash,
    );
    this.records.push(record);
    return record;
  }
}
