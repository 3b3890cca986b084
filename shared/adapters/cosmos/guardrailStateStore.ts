/**
 * Guardrail state in Cosmos (`state` container, one document `guardrail:<guid>` per storage
 * account or vault): one point read per event, and compare-and-swap for every change. An update
 * that starts from what the caller just read tries one conditional write first, and falls back
 * to the regular read-modify-write loop when someone wrote in between.
 */
import type { Container } from '@azure/cosmos';
import { ConflictError, NotFoundError, PreconditionFailedError } from '../../domain/errors';
import { emptyState, guardrailStateId, guardrailStateSchema, type GuardrailState } from '../../domain/guardrails/state';
import type { GuardrailStates, StateMutation, VersionedState } from '../../ports/guardrails';
import { compareAndSwap } from './cas';
import { createDoc, queryDocs, readDoc, replaceDoc } from './document';

export class GuardrailStateStore implements GuardrailStates {
  constructor(private readonly state: Container) {}

  async read(resourceId: string): Promise<VersionedState | undefined> {
    const id = guardrailStateId(resourceId);
    const found = await readDoc(this.state, id, id, guardrailStateSchema);
    return found ? { state: found.doc, etag: found.etag } : undefined;
  }

  async update(resourceId: string, mutate: StateMutation, known?: VersionedState | null): Promise<VersionedState> {
    const id = guardrailStateId(resourceId);
    if (known !== undefined) {
      const base = known?.state ?? emptyState(resourceId);
      const next = mutate(base);
      if (known && next === base) return known;
      try {
        const written = known ? await replaceDoc(this.state, next, known.etag, id) : await createDoc(this.state, next);
        return { state: written.doc, etag: written.etag };
      } catch (err) {
        const lostRace = err instanceof PreconditionFailedError || err instanceof NotFoundError || err instanceof ConflictError;
        if (!lostRace) throw err;
      }
    }
    const result = await compareAndSwap(this.state, id, id, guardrailStateSchema, (current) => mutate(current ?? emptyState(resourceId)), { create: true, maxAttempts: 20 });
    return { state: result.doc ?? emptyState(resourceId), etag: result.etag ?? '' };
  }

  async withEndingExceptions(now: Date): Promise<string[]> {
    const page = await queryDocs(
      this.state,
      {
        query: "SELECT c.resourceId FROM c WHERE c.type = 'guardrailState' AND IS_DEFINED(c.nextExceptionEnd) AND c.nextExceptionEnd <= @now",
        parameters: [{ name: '@now', value: now.toISOString() }],
      },
      guardrailStateSchema.pick({ resourceId: true }),
    );
    return page.items.map((i) => i.resourceId);
  }

  async contested(now: Date): Promise<GuardrailState[]> {
    const page = await queryDocs(
      this.state,
      { query: "SELECT * FROM c WHERE c.type = 'guardrailState' AND IS_DEFINED(c.contestedUntil) AND c.contestedUntil > @now", parameters: [{ name: '@now', value: now.toISOString() }] },
      guardrailStateSchema,
    );
    return page.items;
  }
}
