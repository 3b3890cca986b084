/**
 * The audit ledger's writer: one instance per process appends to its own hash chains in the
 * `audit` container, anchors their heads, and makes appends idempotent on request.
 *
 * No global lock: each process owns K chains (`<instance tag>-<8 random hex>`), opened lazily.
 * Only this process writes its chains, so each chain's head lives in memory and an append is a
 * single create of `<chainId>:<seq>`; appends to one chain are serialized by an in-process queue,
 * and the K chains take appends in parallel.
 */
import { randomBytes } from 'node:crypto';
import type { Container } from '@azure/cosmos';
import { z } from 'zod';
import { ConfigError, ConflictError, InternalError, PreconditionFailedError, TransientError } from '../../domain/errors';
import { compareAndSwap } from '../cosmos/cas';
import { createDoc, readDoc, replaceDoc } from '../cosmos/document';
import { sha256Hex } from '../../domain/audit/canonicalJson';
import { registerChain } from './chainRegistry';
import { CosmosAnchorSink } from './cosmosAnchorSink';
import { fetchUpTo } from './fetchUpTo';
import type { ChainAnchor } from '../../domain/audit/anchor';
import type { AnchorSink, AppendOptions, AuditTrail, DuplicateAppend } from '../../ports/audit';
import { queryAuditRecords, type AuditQueryPage } from './queryAudit';
import type { AuditQueryFilter } from '../../domain/audit/queryPlan';
import {
  GENESIS_PREV_HASH,
  auditEntrySchema,
  auditRecordSchema,
  parseAuditEntry,
  sealRecord,
  type AuditActor,
  type AuditEntry,
  type AuditRecord,
  type NormalizedAuditEntry,
} from '../../domain/audit/record';
import { verifyAuditLedger, type AuditVerification } from './verifyLedger';

export interface AuditLedgerOptions {
  /** The `audit` container (partition key /chainId). */
  audit: Container;
  /** The `state` container (partition key /id): chain registry, anchors, idempotency markers. */
  state: Container;
  /** The clock for `at` of entries that bring none, anchors and markers. */
  now?: () => Date;
  /** Short name of this process in its chain ids: lower-case letters, digits, dashes (1-23). Default `am`. */
  instanceTag?: string;
  /** Chains this process appends to in parallel. Default 4. */
  shards?: number;
  /** Anchor a chain's head after this many appends... Default 100. */
  anchorEvery?: number;
  /**
   * ...or this long after its first unanchored append. Default 1000 ms: a process that dies
   * without closing its chains (kill -9, a crash) leaves at most about a second of records that
   * a writer of the store could rewrite or cut off undetected.
   */
  anchorIntervalMs?: number;
  /** Default: the Cosmos sink on `state`. Add one the Cosmos writer cannot rewrite (see AnchorSink). */
  anchorSinks?: AnchorSink[];
  /** How long an appendOnce attempt may take before a retry takes its marker over. Default 10 s. */
  leaseMs?: number;
  /**
   * The clock leases are measured on. Default `now`. A lease is about whether another process is
   * still at work, so the composition root gives it the wall clock even when the app's clock is
   * scaled or manual (a scaled clock would let a retry take over an attempt still in flight).
   */
  leaseNow?: () => Date;
  /** `ttl` of idempotency markers (honoured by real Cosmos on the `state` container). Default 7 days, beyond Event Grid's 24 h of retries. */
  markerTtlSeconds?: number;
  /** Idempotency keys whose record this process has confirmed, kept to answer repeats without a store call. Default 20,000. */
  recordedKeysKept?: number;
  /** Actor of the chain.opened records. Default `{ name: 'AccessManager' }`. */
  systemActor?: AuditActor;
  /** Failures of background anchor writes (the next anchor retries). Default: console.error. */
  onBackgroundError?: (err: unknown) => void;
}

const DEFAULTS = { shards: 4, anchorEvery: 100, anchorIntervalMs: 1000, leaseMs: 10_000, markerTtlSeconds: 7 * 24 * 3600, recordedKeysKept: 20_000 };

/** Attempts to place one record before giving up: each lost chain id costs one. */
const MAX_CHAIN_ATTEMPTS = 5;

const INSTANCE_TAG = /^[a-z0-9][a-z0-9-]{0,22}$/;

export const MARKER_ID_PREFIX = 'audit-key:';

const closedError = () => new InternalError('The audit ledger is closed; create a new AuditLedger to record more.', 'AuditLedgerClosed');

const markerSchema = z.object({
  id: z.string(),
  keyHash: z.string(),
  createdAt: z.string(),
  /** Set when a retry takes over an abandoned attempt: the lease restarts from here. */
  claimedAt: z.string().optional(),
  /** The entry to record, with its `at` fixed by the first attempt. */
  pending: auditEntrySchema,
  recordId: z.string().optional(),
  completedAt: z.string().optional(),
  ttl: z.number().optional(),
});

type Marker = z.infer<typeof markerSchema>;

const storedHashSchema = z.object({ hash: z.unknown() }).loose();

interface Chain {
  readonly chainId: string;
  readonly shard: number;
  readonly openedAt: string;
  registered: boolean;
  nextSeq: number;
  headHash: string;
  /** A create whose outcome we do not know (timeout, 5xx): settled by a point read before the next write. */
  uncertain?: AuditRecord;
  /** Someone else wrote one of our ids: never write here again. */
  abandoned: boolean;
  anchoredSeq: number;
  anchorTimer?: NodeJS.Timeout;
  anchorRunning?: Promise<void>;
}

interface Shard {
  readonly index: number;
  /** The queue: each append runs after the previous one on this shard settled. */
  tail: Promise<unknown>;
  chain?: Chain;
}

export class AuditLedger implements AuditTrail {
  private readonly audit: Container;
  private readonly state: Container;
  private readonly now: () => Date;
  private readonly instanceTag: string;
  private readonly shards: Shard[];
  private readonly anchorEvery: number;
  private readonly anchorIntervalMs: number;
  private readonly sinks: AnchorSink[];
  private readonly leaseMs: number;
  private readonly leaseNow: () => Date;
  private readonly markerTtlSeconds: number;
  private readonly systemActor: AuditActor;
  private readonly onBackgroundError: (err: unknown) => void;
  private roundRobin = 0;
  private closing: Promise<void> | undefined;
  /**
   * Key hashes this process has seen the ledger record (appended, or found already recorded),
   * oldest first, bounded. A repeat (a duplicate delivery, every reconcile run over an exempt
   * assignment) then costs nothing: the duplicate path (a refused marker create, a marker read
   * and a lookup of the record) is the dearest thing an event can cost. Another instance or a
   * restart simply asks the store.
   */
  private readonly confirmedKeys = new Set<string>();
  private readonly recordedLimit: number;

  constructor(opts: AuditLedgerOptions) {
    this.audit = opts.audit;
    this.state = opts.state;
    this.now = opts.now ?? (() => new Date());
    this.instanceTag = opts.instanceTag ?? 'am';
    if (!INSTANCE_TAG.test(this.instanceTag)) {
      throw new ConfigError(`Audit ledger instance tag ${JSON.stringify(this.instanceTag)} must be 1-23 lower-case letters, digits or dashes, starting with a letter or digit.`);
    }
    const shards = opts.shards ?? DEFAULTS.shards;
    const anchorEvery = opts.anchorEvery ?? DEFAULTS.anchorEvery;
    for (const [name, value] of [
      ['shards', shards],
      ['anchorEvery', anchorEvery],
    ] as const) {
      if (!Number.isInteger(value) || value < 1) throw new ConfigError(`Audit ledger option ${name} must be a whole number >= 1 (got ${value}).`);
    }
    this.shards = Array.from({ length: shards }, (_, index) => ({ index, tail: Promise.resolve() }));
    this.anchorEvery = anchorEvery;
    this.anchorIntervalMs = opts.anchorIntervalMs ?? DEFAULTS.anchorIntervalMs;
    this.sinks = opts.anchorSinks ?? [new CosmosAnchorSink(opts.state)];
    this.leaseMs = opts.leaseMs ?? DEFAULTS.leaseMs;
    this.leaseNow = opts.leaseNow ?? this.now;
    this.markerTtlSeconds = opts.markerTtlSeconds ?? DEFAULTS.markerTtlSeconds;
    this.systemActor = opts.systemActor ?? { name: 'AccessManager' };
    this.recordedLimit = opts.recordedKeysKept ?? DEFAULTS.recordedKeysKept;
    this.onBackgroundError = opts.onBackgroundError ?? ((err) => console.error('audit ledger: anchoring a chain head failed; the next anchor retries.', err));
  }

  /**
   * Appends one entry: one create in the store (plus, once per chain, its registration and
   * genesis record). With `idempotencyKey` it is appendOnce. ValidationError for a bad entry;
   * TransientError when the store is unavailable (nothing was recorded, or the record landed
   * and a plain retry records it twice: use an idempotency key where that matters).
   */
  async append(entry: AuditEntry, opts: AppendOptions = {}): Promise<AuditRecord | DuplicateAppend> {
    if (opts.idempotencyKey !== undefined && opts.keyHeldUntil !== undefined) return this.appendHeld(opts.idempotencyKey, entry, opts.keyHeldUntil, opts);
    if (opts.idempotencyKey !== undefined) return this.appendOnce(opts.idempotencyKey, entry, opts);
    const normalized = parseAuditEntry(entry);
    return this.place({ ...normalized, at: normalized.at ?? this.nowIso() }, undefined, opts.shardKey);
  }

  /**
   * Records `entry` at most once per `key`, across processes and redeliveries.
   *
   * Writes the marker `audit-key:<sha256(key)>` in `state` FIRST, holding the full pending
   * entry, then appends the record (which carries the key's hash); nothing else is written.
   * A second call finds the marker (409) and answers:
   * - `{ duplicate: true }` when the record is in the ledger (or the marker says completed);
   * - TransientError (with retryAfterMs) while the first attempt's lease (`leaseMs`) runs, so
   *   Event Grid redelivers later;
   * - after the lease, the crash window (marker written, record not) is closed: the caller
   *   claims the marker (If-Match, so one retry wins), appends the pending entry unless the
   *   ledger already has it, and marks the marker completed.
   *
   * Use cases call this with a key derived from the decision (e.g. `revoke:<assignment>:<createdOn>`),
   * so a redelivery records nothing twice, and only once the side effect happened: a record says
   * what was done, never what was about to be. Where a crash between the side effect and the record
   * must not lose the record, the use case keeps what to record beside the change first (the audit
   * outbox of a request or grant, the revocation intent of the enforcer) and a retry or a timer
   * appends it under the same key.
   */
  async appendOnce(key: string, entry: AuditEntry, opts: Omit<AppendOptions, 'idempotencyKey'> = {}): Promise<AuditRecord | DuplicateAppend> {
    if (key.length === 0) throw new InternalError('appendOnce needs a non-empty idempotency key.', 'AuditKeyMissing');
    // Before the marker: a marker whose append is refused would hold the key until its lease ends.
    if (this.closing) throw closedError();
    const normalized = parseAuditEntry(entry);
    const pending = { ...normalized, at: normalized.at ?? this.nowIso() };
    const keyHash = sha256Hex(key);
    if (this.confirmedKeys.has(keyHash)) return { duplicate: true };
    const id = `${MARKER_ID_PREFIX}${keyHash}`;
    const marker: Marker = { id, keyHash, createdAt: this.leaseNow().toISOString(), pending, ttl: this.markerTtlSeconds };
    try {
      await createDoc(this.state, marker);
    } catch (err) {
      if (!(err instanceof ConflictError)) throw err;
      const resumed = await this.resumeMarker(id, keyHash, opts.shardKey);
      if (resumed.settled) this.remember(keyHash);
      return resumed.result;
    }
    // Crash window: from here until the record's create returns, a marker exists without its
    // record. resumeMarker closes it on the first retry after the lease.
    const record = await this.place(pending, keyHash, opts.shardKey);
    this.remember(keyHash);
    return record;
  }

  /**
   * The record of a key the caller holds alone (a claim of its own that every other writer of the
   * key checks `recorded` for first): one create, no marker. Past `heldUntil`, on the call or once
   * the record's turn on its chain comes, a takeover may have begun: appendOnce's marker decides.
   */
  private async appendHeld(key: string, entry: AuditEntry, heldUntil: number, opts: AppendOptions): Promise<AuditRecord | DuplicateAppend> {
    if (key.length === 0) throw new InternalError('A held append needs a non-empty idempotency key.', 'AuditKeyMissing');
    if (this.closing) throw closedError();
    const normalized = parseAuditEntry(entry);
    const keyHash = sha256Hex(key);
    if (this.confirmedKeys.has(keyHash)) return { duplicate: true };
    if (performance.now() < heldUntil) {
      const record = await this.place({ ...normalized, at: normalized.at ?? this.nowIso() }, keyHash, opts.shardKey, heldUntil);
      if (record) {
        this.remember(keyHash);
        return record;
      }
    }
    if (await this.findRecordByKeyHash(keyHash)) {
      this.remember(keyHash);
      return { duplicate: true };
    }
    return this.appendOnce(key, entry, { ...(opts.shardKey !== undefined ? { shardKey: opts.shardKey } : {}) });
  }

  /** Which of these idempotency keys have their record in the ledger: one query per 100 keys not confirmed here yet. */
  async recorded(keys: readonly string[]): Promise<Set<string>> {
    const found = new Set<string>();
    const byHash = new Map<string, string>();
    for (const key of keys) {
      const hash = sha256Hex(key);
      if (this.confirmedKeys.has(hash)) found.add(key);
      else byHash.set(hash, key);
    }
    const hashes = [...byHash.keys()];
    for (let i = 0; i < hashes.length; i += 100) {
      const chunk = hashes.slice(i, i + 100);
      const rows = await fetchUpTo(
        this.audit,
        { query: 'SELECT VALUE c.idempotencyKeyHash FROM c WHERE ARRAY_CONTAINS(@hashes, c.idempotencyKeyHash)', parameters: [{ name: '@hashes', value: chunk }] },
        z.string(),
        chunk.length,
      );
      for (const hash of rows) {
        this.remember(hash);
        found.add(byHash.get(hash)!);
      }
    }
    return found;
  }

  private remember(keyHash: string): void {
    if (this.confirmedKeys.size >= this.recordedLimit) this.confirmedKeys.delete(this.confirmedKeys.values().next().value as string);
    this.confirmedKeys.add(keyHash);
  }

  /** Newest first; see queryAuditRecords. */
  query(filter: AuditQueryFilter): Promise<AuditQueryPage> {
    return queryAuditRecords(this.audit, filter);
  }

  /** Verifies every chain in the ledger (not only this process's). */
  verify(opts: { pageSize?: number } = {}): Promise<AuditVerification> {
    return verifyAuditLedger({ audit: this.audit, state: this.state, anchorSinks: this.sinks, ...opts });
  }

  /**
   * Waits for queued appends, then anchors every chain's head as closed (any later record in
   * these chains is then forged). Later appends fail. Call it on shutdown; without it, heads are
   * still anchored every `anchorEvery` appends or `anchorIntervalMs`.
   */
  close(): Promise<void> {
    this.closing ??= this.closeChains();
    return this.closing;
  }

  /** Ids of the chains this instance has opened and still writes (for diagnostics and tests). */
  chainIds(): string[] {
    return this.shards.flatMap((s) => (s.chain && !s.chain.abandoned ? [s.chain.chainId] : []));
  }

  private nowIso(): string {
    return this.now().toISOString();
  }

  private pickShard(shardKey: string | undefined): Shard {
    const index = shardKey === undefined ? this.roundRobin++ % this.shards.length : parseInt(sha256Hex(shardKey).slice(0, 8), 16) % this.shards.length;
    return this.shards[index]!;
  }

  /** Queues the record on a chain. With `heldUntil`: undefined, writing nothing, when its turn comes after that moment. */
  private place(entry: NormalizedAuditEntry & { at: string }, keyHash: string | undefined, shardKey: string | undefined): Promise<AuditRecord>;
  private place(entry: NormalizedAuditEntry & { at: string }, keyHash: string, shardKey: string | undefined, heldUntil: number): Promise<AuditRecord | undefined>;
  private place(entry: NormalizedAuditEntry & { at: string }, keyHash: string | undefined, shardKey: string | undefined, heldUntil?: number): Promise<AuditRecord | undefined> {
    if (this.closing) return Promise.reject(closedError());
    const shard = this.pickShard(shardKey);
    const run = shard.tail.then(() => this.appendOnShard(shard, entry, keyHash, heldUntil));
    shard.tail = run.catch(() => undefined);
    return run;
  }

  private async appendOnShard(shard: Shard, entry: NormalizedAuditEntry & { at: string }, keyHash: string | undefined, heldUntil?: number): Promise<AuditRecord | undefined> {
    for (let attempt = 0; attempt < MAX_CHAIN_ATTEMPTS; attempt += 1) {
      const chain = await this.readyChain(shard);
      if (!chain) continue;
      if (heldUntil !== undefined && performance.now() >= heldUntil) return undefined;
      const record = sealRecord(entry, { chainId: chain.chainId, seq: chain.nextSeq, prevHash: chain.headHash }, keyHash);
      if (await this.write(chain, record)) return record;
    }
    throw new InternalError(`Audit ledger lost ${MAX_CHAIN_ATTEMPTS} chain ids in a row to other writers; check that no two processes share an instance tag and random source.`, 'AuditChainContention');
  }

  /** The shard's chain, opened (registered, genesis written) and with a known head; undefined when it was just lost. */
  private async readyChain(shard: Shard): Promise<Chain | undefined> {
    if (!shard.chain || shard.chain.abandoned) shard.chain = this.newChain(shard.index);
    const chain = shard.chain;
    if (chain.uncertain) await this.settleUncertain(chain);
    if (chain.abandoned) return undefined;
    if (chain.nextSeq === 0) {
      // Registered before its first record: a crash in between leaves a registered chain without
      // records or anchor, which verify accepts; the reverse order would leave records nobody registered.
      if (!chain.registered) {
        await registerChain(this.state, { chainId: chain.chainId, openedAt: chain.openedAt });
        chain.registered = true;
      }
      const genesis = sealRecord(
        { action: 'chain.opened', actor: this.systemActor, at: chain.openedAt, details: { instance: this.instanceTag, shard: chain.shard } },
        { chainId: chain.chainId, seq: 0, prevHash: GENESIS_PREV_HASH },
      );
      if (!(await this.write(chain, genesis))) return undefined;
      // An anchor from the start: a registered chain without records is then provably deleted, not merely never written.
      this.anchorInBackground(chain);
    }
    return chain;
  }

  private newChain(shard: number): Chain {
    return {
      chainId: `${this.instanceTag}-${randomBytes(4).toString('hex')}`,
      shard,
      openedAt: this.nowIso(),
      registered: false,
      nextSeq: 0,
      headHash: GENESIS_PREV_HASH,
      abandoned: false,
      anchoredSeq: -1,
    };
  }

  /** One create. False when the id was taken (the chain is then abandoned); throws when the outcome is unknown. */
  private async write(chain: Chain, record: AuditRecord): Promise<boolean> {
    try {
      await createDoc(this.audit, record);
    } catch (err) {
      if (err instanceof ConflictError) {
        this.abandon(chain);
        return false;
      }
      chain.uncertain = record;
      throw err;
    }
    this.advance(chain, record);
    return true;
  }

  private async settleUncertain(chain: Chain): Promise<void> {
    const record = chain.uncertain!;
    const found = await readDoc(this.audit, record.id, chain.chainId, storedHashSchema);
    chain.uncertain = undefined;
    if (!found) return;
    if (found.doc.hash === record.hash) this.advance(chain, record);
    else this.abandon(chain);
  }

  private advance(chain: Chain, record: AuditRecord): void {
    chain.nextSeq = record.seq + 1;
    chain.headHash = record.hash;
    this.scheduleAnchor(chain);
  }

  private abandon(chain: Chain): void {
    chain.abandoned = true;
    if (chain.anchorTimer) clearTimeout(chain.anchorTimer);
    chain.anchorTimer = undefined;
  }

  private anchorInBackground(chain: Chain): void {
    if (chain.anchorTimer) clearTimeout(chain.anchorTimer);
    chain.anchorTimer = undefined;
    if (chain.abandoned || chain.anchorRunning || chain.nextSeq - 1 <= chain.anchoredSeq) return;
    chain.anchorRunning = this.writeAnchor(chain, false)
      .catch((err: unknown) => this.onBackgroundError(err))
      .finally(() => {
        chain.anchorRunning = undefined;
        if (chain.abandoned || this.closing) return;
        // Appends that arrived meanwhile (or a failed write) are anchored by count or by the timer.
        this.scheduleAnchor(chain);
      });
  }

  /** Anchors now when `anchorEvery` records wait, else makes sure the timer will. */
  private scheduleAnchor(chain: Chain): void {
    const waiting = chain.nextSeq - 1 - chain.anchoredSeq;
    if (waiting <= 0 || chain.anchorRunning) return;
    if (waiting >= this.anchorEvery) {
      this.anchorInBackground(chain);
    } else if (!chain.anchorTimer) {
      chain.anchorTimer = setTimeout(() => this.anchorInBackground(chain), this.anchorIntervalMs);
      // A pending anchor must not keep a process (or a test run) alive.
      chain.anchorTimer.unref();
    }
  }

  private async writeAnchor(chain: Chain, closed: boolean): Promise<void> {
    const anchor: ChainAnchor = { chainId: chain.chainId, seq: chain.nextSeq - 1, hash: chain.headHash, at: this.nowIso(), ...(closed ? { closed: true } : {}) };
    await Promise.all(this.sinks.map((sink) => sink.write(anchor)));
    chain.anchoredSeq = Math.max(chain.anchoredSeq, anchor.seq);
  }

  private async closeChains(): Promise<void> {
    await Promise.all(this.shards.map((s) => s.tail));
    for (const shard of this.shards) {
      const chain = shard.chain;
      if (!chain || chain.abandoned) continue;
      if (chain.uncertain) await this.settleUncertain(chain);
      if (chain.anchorTimer) clearTimeout(chain.anchorTimer);
      chain.anchorTimer = undefined;
      await chain.anchorRunning;
      if (chain.abandoned || chain.nextSeq === 0) continue;
      await this.writeAnchor(chain, true);
    }
  }

  /**
   * A second attempt of a key whose marker exists. `settled`: the marker is completed (or gone),
   * so no later attempt has anything left to finish and this process may answer repeats itself.
   */
  private async resumeMarker(id: string, keyHash: string, shardKey: string | undefined): Promise<{ result: AuditRecord | DuplicateAppend; settled: boolean }> {
    const found = await readDoc(this.state, id, id, markerSchema);
    // Gone again: its ttl expired long after Event Grid stopped retrying, so this is a stale redelivery.
    if (!found) return { result: { duplicate: true }, settled: true };
    const marker = found.doc;
    if (marker.recordId !== undefined) return { result: { duplicate: true }, settled: true };
    const since = Date.parse(marker.claimedAt ?? marker.createdAt);
    const age = this.leaseNow().getTime() - since;
    if (age < this.leaseMs) {
      // Usually the first attempt finished a moment ago (it stores no completion): look before asking for a retry.
      if (await this.findRecordByKeyHash(keyHash)) return { result: { duplicate: true }, settled: false };
      throw new TransientError(`Another attempt is recording this audit entry (idempotency marker ${id}); retry in ${Math.ceil((this.leaseMs - age) / 1000)} s.`, 'AuditAppendInProgress', this.leaseMs - age);
    }
    try {
      await replaceDoc(this.state, { ...marker, claimedAt: this.leaseNow().toISOString() }, found.etag, id);
    } catch (err) {
      if (err instanceof PreconditionFailedError) {
        throw new TransientError(`Another retry just took over audit marker ${id}; retry in ${Math.ceil(this.leaseMs / 1000)} s.`, 'AuditAppendInProgress', this.leaseMs);
      }
      throw err;
    }
    const existing = await this.findRecordByKeyHash(keyHash);
    const pending = parseAuditEntry(marker.pending);
    const record = existing ?? (await this.place({ ...pending, at: pending.at ?? marker.createdAt }, keyHash, shardKey));
    await compareAndSwap(this.state, id, id, markerSchema, (current) =>
      current && current.recordId === undefined ? { ...current, recordId: record.id, completedAt: this.nowIso() } : current,
    );
    return { result: existing ? { duplicate: true } : record, settled: true };
  }

  /** The record an appendOnce key produced, if it is in the ledger (a cross-partition query: recovery path only). */
  private async findRecordByKeyHash(keyHash: string): Promise<AuditRecord | undefined> {
    const [record] = await fetchUpTo(
      this.audit,
      { query: 'SELECT TOP 1 * FROM c WHERE c.idempotencyKeyHash = @keyHash', parameters: [{ name: '@keyHash', value: keyHash }] },
      auditRecordSchema,
      1,
    );
    return record;
  }
}
