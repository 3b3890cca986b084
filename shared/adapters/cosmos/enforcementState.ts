/**
 * Enforcement's own state in the `state` container: `self-access` (AccessManager's permission),
 * `revocation:<hash>` (revocations under way) and `rogue-actor:<object id>` (rogue creations per
 * actor), `revocations-checked` (how far the timer's scan of intents has got). Every
 * read-modify-write goes through compare-and-swap; an intent is one create per decision.
 */
import type { Container } from '@azure/cosmos';
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { auditEntrySchema } from '../../domain/audit/record';
import type { RogueActorState } from '../../domain/enforcement/rogueActors';
import type { IntentHold, RevocationIntent, RevocationIntentRepository, RogueActorRepository, SelfAccessRepository, SelfAccessState, StoredIntent } from '../../ports/enforcementState';
import { ABORT, compareAndSwap, type Mutation } from './cas';
import { createDoc, deleteDoc, queryDocs, readDoc, replaceDoc } from './document';
import { ConflictError, NotFoundError, PreconditionFailedError } from '../../domain/errors';

const SELF_ACCESS_ID = 'self-access';

const selfAccessSchema = z.object({
  id: z.literal(SELF_ACCESS_ID),
  status: z.enum(['ok', 'lost']),
  since: z.string(),
  incident: z.string().optional(),
  missing: z.array(z.object({ scope: z.string(), actions: z.array(z.string()) })).optional(),
  assignments: z.array(z.object({ id: z.string(), goneSince: z.string().optional() })).default([]),
});

function toState(doc: z.infer<typeof selfAccessSchema> | undefined): SelfAccessState | undefined {
  if (!doc) return undefined;
  const { id: _id, ...state } = doc;
  return state;
}

export class SelfAccessStore implements SelfAccessRepository {
  constructor(private readonly state: Container) {}

  async read(): Promise<SelfAccessState | undefined> {
    return toState((await readDoc(this.state, SELF_ACCESS_ID, SELF_ACCESS_ID, selfAccessSchema))?.doc);
  }

  async update(mutate: (current: SelfAccessState | undefined) => SelfAccessState | undefined): Promise<{ state: SelfAccessState | undefined; changed: boolean }> {
    const result = await compareAndSwap(
      this.state,
      SELF_ACCESS_ID,
      SELF_ACCESS_ID,
      selfAccessSchema,
      (current): Mutation<z.infer<typeof selfAccessSchema>> => {
        const before = toState(current);
        const next = mutate(before);
        return next === undefined || next === before ? ABORT : { id: SELF_ACCESS_ID, ...next };
      },
      { create: true },
    );
    return { state: toState(result.doc), changed: result.changed };
  }
}

const INTENT_PREFIX = 'revocation:';
const SCAN_MARK_ID = 'revocations-checked';

const intentSchema = z.object({
  id: z.string(),
  type: z.literal('revocationIntent'),
  key: z.string(),
  assignmentId: z.string(),
  entry: auditEntrySchema,
  createdAt: z.string(),
  /** When created or last taken over: on the app's clock, and on the wall clock (the lease). */
  claimedAt: z.string().optional(),
  claimedAtWall: z.number().optional(),
  ttl: z.number().optional(),
});
type IntentDoc = z.infer<typeof intentSchema>;

/** Scans read the store's own write time (`_ts`, seconds) and ETag beside the document. */
const scannedSchema = z.object({ doc: intentSchema, ts: z.number(), etag: z.string() });
type Scanned = z.infer<typeof scannedSchema>;

const scanMarkSchema = z.object({ id: z.literal(SCAN_MARK_ID), throughTs: z.number() });

const intentId = (key: string) => `${INTENT_PREFIX}${createHash('sha256').update(key).digest('hex')}`;

/**
 * `_ts` counts whole seconds of the store's clock: the scan's mark never passes a second this
 * recent, so an intent written later in a second already scanned is still found.
 */
const SETTLED_AFTER_SECONDS = 60;

/** Intents outlive any retry; real Cosmos drops them after 30 days (the embedded server keeps them). */
const INTENT_TTL_SECONDS = 30 * 24 * 3600;

export interface RevocationIntentStoreOptions {
  /**
   * How long a holder keeps an intent before another attempt may take it over, on the wall
   * clock (default 60 s: longer than the Cosmos SDK's 30 s of retries on a throttled create). The
   * holder records without the ledger's marker only in the first third of it, so a record still
   * on its way is not raced by a takeover.
   */
  leaseMs?: number;
  /** The wall clock of leases (the app's clock may be scaled or manual). */
  wallNow?: () => number;
  /** The app's clock, for `claimedAt`. */
  now?: () => Date;
}

function stored(doc: IntentDoc, etag: string, ts: number): StoredIntent {
  return { key: doc.key, assignmentId: doc.assignmentId, entry: doc.entry, createdAt: doc.createdAt, claimedAt: doc.claimedAt ?? doc.createdAt, version: etag, before: String(ts - 1) };
}

export class RevocationIntentStore implements RevocationIntentRepository {
  private readonly leaseMs: number;
  private readonly wallNow: () => number;
  private readonly now: () => Date;

  constructor(
    private readonly state: Container,
    opts: RevocationIntentStoreOptions = {},
  ) {
    this.leaseMs = opts.leaseMs ?? 60_000;
    this.wallNow = opts.wallNow ?? Date.now;
    this.now = opts.now ?? (() => new Date());
  }

  private hold(): IntentHold {
    return { heldUntil: performance.now() + this.leaseMs / 3 };
  }

  async claim(intent: RevocationIntent): Promise<IntentHold | { held: StoredIntent }> {
    const id = intentId(intent.key);
    // Taken before the create is sent: the lease is measured from no later than the stored time.
    const hold = this.hold();
    try {
      await createDoc(this.state, { id, type: 'revocationIntent' as const, ...intent, claimedAt: intent.createdAt, claimedAtWall: this.wallNow(), ttl: INTENT_TTL_SECONDS });
      return hold;
    } catch (err) {
      if (!(err instanceof ConflictError)) throw err;
    }
    const found = await readDoc(this.state, id, id, intentSchema);
    // Removed in between (its decision no longer stood): claim it afresh.
    if (!found) return this.claim(intent);
    return { held: stored(found.doc, found.etag, 0) };
  }

  async takeOver(intent: StoredIntent): Promise<IntentHold | undefined> {
    const id = intentId(intent.key);
    const found = await readDoc(this.state, id, id, intentSchema);
    if (!found || found.etag !== intent.version) return undefined;
    // A holder's time from the future (a skewed clock, or a forged document) does not hold the key forever.
    const age = this.wallNow() - (found.doc.claimedAtWall ?? 0);
    if (age >= 0 && age < this.leaseMs) return undefined;
    const hold = this.hold();
    try {
      await replaceDoc(this.state, { ...found.doc, claimedAt: this.now().toISOString(), claimedAtWall: this.wallNow() }, found.etag, id);
    } catch (err) {
      if (err instanceof PreconditionFailedError || err instanceof NotFoundError) return undefined;
      throw err;
    }
    return hold;
  }

  async release(intent: RevocationIntent): Promise<void> {
    const id = intentId(intent.key);
    await compareAndSwap(this.state, id, id, intentSchema, (current): Mutation<IntentDoc> => (current ? { ...current, claimedAtWall: 0 } : ABORT));
  }

  async remove(key: string): Promise<void> {
    const id = intentId(key);
    await deleteDoc(this.state, id, id);
  }

  async unchecked(limit: number): Promise<{ intents: StoredIntent[]; before?: string }> {
    const mark = (await readDoc(this.state, SCAN_MARK_ID, SCAN_MARK_ID, scanMarkSchema))?.doc.throughTs ?? 0;
    const page = await this.scan('SELECT TOP @n VALUE { doc: c, ts: c._ts, etag: c._etag } FROM c WHERE c.type = "revocationIntent" AND c._ts > @from ORDER BY c._ts', { '@n': limit, '@from': mark });
    if (page.length === 0) return { intents: [] };
    const lastTs = page[page.length - 1]!.ts;
    // A full page may have cut a second in two: the rest of that second comes along (_ts counts seconds).
    const rows = page.length < limit ? page : [...page.filter((d) => d.ts < lastTs), ...(await this.scan('SELECT VALUE { doc: c, ts: c._ts, etag: c._etag } FROM c WHERE c.type = "revocationIntent" AND c._ts = @ts', { '@ts': lastTs }))];
    // The second being written now (and, for a store clock ahead of ours, the ones before it) may
    // still get intents: the mark stays behind them, and the next scan reads them again.
    const settledTs = Math.floor(this.wallNow() / 1000) - SETTLED_AFTER_SECONDS;
    return { intents: rows.map((d) => stored(d.doc, d.etag, d.ts)), before: String(Math.min(lastTs, settledTs)) };
  }

  async checked(before: string): Promise<void> {
    const throughTs = Number(before);
    if (!Number.isInteger(throughTs) || throughTs <= 0) return;
    await compareAndSwap(
      this.state,
      SCAN_MARK_ID,
      SCAN_MARK_ID,
      scanMarkSchema,
      (current): Mutation<z.infer<typeof scanMarkSchema>> => (current && current.throughTs >= throughTs ? ABORT : { id: SCAN_MARK_ID, throughTs }),
      { create: true },
    );
  }

  async stale(before: Date, limit: number): Promise<RevocationIntent[]> {
    const { items } = await queryDocs(
      this.state,
      {
        query: 'SELECT TOP @n * FROM c WHERE c.type = "revocationIntent" AND c.createdAt < @before',
        parameters: [
          { name: '@n', value: limit },
          { name: '@before', value: before.toISOString() },
        ],
      },
      intentSchema,
    );
    return items.map(({ key, assignmentId, entry, createdAt }) => ({ key, assignmentId, entry, createdAt }));
  }

  private async scan(query: string, params: Record<string, number>): Promise<Scanned[]> {
    const { items } = await queryDocs(this.state, { query, parameters: Object.entries(params).map(([name, value]) => ({ name, value })) }, scannedSchema);
    return items;
  }

  /** Exists for tests: the intent document of a decision key. */
  static idOf(key: string): string {
    return intentId(key);
  }
}

const rogueSchema = z.object({
  id: z.string(),
  actorId: z.string(),
  windowStart: z.string(),
  count: z.number().int().nonnegative(),
  counted: z.array(z.string()).default([]),
  alertedAt: z.string().optional(),
});

type RogueDoc = z.infer<typeof rogueSchema>;

function rogueState(doc: RogueDoc | undefined): RogueActorState | undefined {
  return doc ? { actorId: doc.actorId, windowStart: doc.windowStart, count: doc.count, counted: doc.counted, ...(doc.alertedAt ? { alertedAt: doc.alertedAt } : {}) } : undefined;
}

/** How many actors' counters a process remembers (with their ETag) to skip the read. */
const KNOWN_ACTORS = 1000;

export class RogueActorStore implements RogueActorRepository {
  /** The counter as this process last wrote it: the next count replaces it (If-Match) without reading first. */
  private readonly known = new Map<string, { doc: RogueDoc; etag: string }>();

  constructor(private readonly state: Container) {}

  async count<R>(actorId: string, mutate: (current: RogueActorState | undefined) => { state: RogueActorState; result: R; changed: boolean }): Promise<R> {
    const id = `rogue-actor:${actorId.toLowerCase()}`;
    const known = this.known.get(id);
    if (known) {
      const decided = mutate(rogueState(known.doc));
      // Nothing to store (this window's alert is out): no round-trip at all.
      if (!decided.changed) return decided.result;
      try {
        const written = await replaceDoc(this.state, { id, ...decided.state }, known.etag, id);
        this.remember(id, written.doc, written.etag);
        return decided.result;
      } catch (err) {
        // Another instance counted in between: read and swap as usual.
        if (!(err instanceof PreconditionFailedError || err instanceof NotFoundError)) throw err;
        this.known.delete(id);
      }
    }
    let result!: R;
    const swapped = await compareAndSwap(
      this.state,
      id,
      id,
      rogueSchema,
      (current): Mutation<RogueDoc> => {
        const decided = mutate(rogueState(current));
        result = decided.result;
        return decided.changed ? { id, ...decided.state } : ABORT;
      },
      { create: true, maxAttempts: 30 },
    );
    if (swapped.doc && swapped.etag) this.remember(id, swapped.doc, swapped.etag);
    return result;
  }

  private remember(id: string, doc: RogueDoc, etag: string): void {
    this.known.delete(id);
    if (this.known.size >= KNOWN_ACTORS) this.known.delete(this.known.keys().next().value as string);
    this.known.set(id, { doc, etag });
  }
}
