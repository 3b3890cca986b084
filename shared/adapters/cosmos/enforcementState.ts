/**
 * Enforcement's own state in the `state` container: `self-access` (AccessManager's permission),
 * `revocation:<hash>` (revocations under way) and `rogue-actor:<object id>` (rogue creations per
 * actor). Every read-modify-write goes through compare-and-swap; intents are plain creates and
 * deletes (one per decision).
 */
import type { Container } from '@azure/cosmos';
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { auditEntrySchema } from '../../domain/audit/record';
import type { RogueActorState } from '../../domain/enforcement/rogueActors';
import type { RevocationIntent, RevocationIntentRepository, RogueActorRepository, SelfAccessRepository, SelfAccessState } from '../../ports/enforcementState';
import { ABORT, compareAndSwap, type Mutation } from './cas';
import { deleteDoc, queryDocs, readDoc, replaceDoc, upsertDoc } from './document';
import { NotFoundError, PreconditionFailedError } from '../../domain/errors';

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

const intentSchema = z.object({
  id: z.string(),
  type: z.literal('revocationIntent'),
  key: z.string(),
  assignmentId: z.string(),
  entry: auditEntrySchema,
  createdAt: z.string(),
  ttl: z.number().optional(),
});

const intentId = (key: string) => `${INTENT_PREFIX}${createHash('sha256').update(key).digest('hex')}`;

/** Intents outlive any retry; real Cosmos drops forgotten ones after 30 days (the embedded server keeps them). */
const INTENT_TTL_SECONDS = 30 * 24 * 3600;

export class RevocationIntentStore implements RevocationIntentRepository {
  constructor(private readonly state: Container) {}

  async put(intent: RevocationIntent): Promise<void> {
    await upsertDoc(this.state, { id: intentId(intent.key), type: 'revocationIntent' as const, ...intent, ttl: INTENT_TTL_SECONDS });
  }

  async remove(key: string): Promise<void> {
    const id = intentId(key);
    await deleteDoc(this.state, id, id);
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
