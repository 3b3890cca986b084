/**
 * An in-memory audit trail: one hash chain in an array, with the same validation, sealing and
 * idempotency-key semantics as the ledger, and its queries (filters, newest first, continuation
 * tokens) - minus the store. For unit tests of use cases, typed by the port.
 */
import { scopeKey } from '../../shared/domain/armIds';
import { sha256Hex } from '../../shared/domain/audit/canonicalJson';
import { verifyChainRecords, type ChainVerdict } from '../../shared/domain/audit/chainVerifier';
import { decodeContinuationToken, encodeContinuationToken, parseAuditQueryFilter, type AuditQueryFilter } from '../../shared/domain/audit/queryPlan';
import { GENESIS_PREV_HASH, parseAuditEntry, sealRecord, type AuditEntry, type AuditRecord, type NormalizedAuditEntry } from '../../shared/domain/audit/record';
import type { AppendOptions, AuditQueryPage, AuditTrail, AuditVerification, DuplicateAppend } from '../../shared/ports/audit';

export class MemoryAuditTrail implements AuditTrail {
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

  /** One chain, no marker: a held key and any other are recorded alike. */
  async recorded(keys: readonly string[]): Promise<Set<string>> {
    return new Set(keys.filter((k) => this.keys.has(sha256Hex(k))));
  }

  /** The records of one action, in append order. */
  ofAction(action: AuditRecord['action']): AuditRecord[] {
    return this.records.filter((r) => r.action === action);
  }

  /** The chain's own verdict (what the ledger checks per chain). */
  verifyChain(): ChainVerdict {
    return verifyChainRecords(this.chainId, this.records);
  }

  async verify(): Promise<AuditVerification> {
    const verdict = this.verifyChain();
    return verdict.ok ? { ok: true, checked: verdict.checked, chains: 1 } : { ok: false, checked: verdict.checked, chains: 1, ...(verdict.firstBadId ? { firstBadId: verdict.firstBadId } : {}), ...(verdict.problem ? { problem: verdict.problem } : {}) };
  }

  async query(input: AuditQueryFilter): Promise<AuditQueryPage> {
    const filter = parseAuditQueryFilter(input);
    const after = filter.continuationToken !== undefined ? decodeContinuationToken(filter.continuationToken) : undefined;
    const key = filter.scope !== undefined ? scopeKey(filter.scope) : undefined;
    const rows = this.records
      .filter((r) => filter.principalId === undefined || r.principalId === filter.principalId)
      .filter((r) => filter.action === undefined || r.action === filter.action)
      .filter((r) => filter.requestId === undefined || r.requestId === filter.requestId)
      .filter((r) => filter.grantId === undefined || r.grantId === filter.grantId)
      .filter((r) => key === undefined || (r.scope !== undefined && (scopeKey(r.scope) === key || scopeKey(r.scope).startsWith(key === '/' ? '/' : `${key}/`))))
      .filter((r) => (filter.from === undefined || r.at >= filter.from) && (filter.to === undefined || r.at < filter.to))
      .filter((r) => after === undefined || r.at < after.at || (r.at === after.at && r.id < after.id))
      .sort((a, b) => (a.at === b.at ? b.id.localeCompare(a.id) : b.at.localeCompare(a.at)));
    if (rows.length <= filter.limit) return { items: rows };
    const items = rows.slice(0, filter.limit);
    const last = items[items.length - 1]!;
    return { items, continuationToken: encodeContinuationToken({ at: last.at, id: last.id }) };
  }

  async close(): Promise<void> {}

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
