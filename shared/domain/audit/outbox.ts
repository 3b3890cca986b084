/**
 * The audit outbox on a changed document. A use case that changes a request or a grant writes the
 * audit entry of that change INTO the same document write, then appends it to the ledger (with
 * the entry's key as idempotency key) and clears it. A crash or a transient ledger failure in
 * between leaves the entry on the document, where the next attempt of the use case or the
 * expireGrants timer finds it and finishes the job: no state change without its record, and the
 * key keeps it to exactly one record.
 */
import { z } from 'zod';
import { auditEntrySchema, parseAuditEntry, type AuditEntry, type NormalizedAuditEntry } from './record';

export interface OutboxEntry {
  /** Idempotency key of the record (e.g. `grant.created:<grantId>`). */
  key: string;
  /** When the change was written: the timer leaves young entries to the attempt that wrote them. */
  queuedAt: string;
  entry: NormalizedAuditEntry;
  /** Held back until the grant's role assignment is removed: the end of a grant is recorded once the access is really gone. */
  afterRemoval?: boolean;
}

export const outboxEntrySchema: z.ZodType<OutboxEntry> = z.object({
  key: z.string().min(1),
  queuedAt: z.string(),
  entry: auditEntrySchema,
  afterRemoval: z.boolean().optional(),
}) as unknown as z.ZodType<OutboxEntry>;

/** A document that can carry an outbox: a request or a grant. */
export interface WithOutbox {
  id: string;
  outbox?: OutboxEntry[];
}

/** The document with `entry` queued under `key` (unchanged when that key is queued already). Validates the entry now, before anything is written. */
export function queueAudit<T extends WithOutbox>(doc: T, key: string, entry: AuditEntry, now: Date, opts: { afterRemoval?: boolean } = {}): T {
  if (doc.outbox?.some((o) => o.key === key)) return doc;
  const queued: OutboxEntry = { key, queuedAt: now.toISOString(), entry: parseAuditEntry({ ...entry, at: entry.at ?? now.toISOString() }), ...(opts.afterRemoval ? { afterRemoval: true } : {}) };
  return { ...doc, outbox: [...(doc.outbox ?? []), queued] };
}

/** The entries ready to append: all of them, except those held until an assignment removal that is still pending. */
export function readyEntries(doc: Pick<WithOutbox, 'outbox'> & { pendingRemoval?: boolean }): OutboxEntry[] {
  return (doc.outbox ?? []).filter((o) => !(o.afterRemoval && doc.pendingRemoval));
}

/** The document without the entries under `keys` (the same object when none was there); no `outbox` field once empty. */
export function withoutAudit<T extends WithOutbox>(doc: T, keys: ReadonlySet<string>): T {
  if (!doc.outbox?.some((o) => keys.has(o.key))) return doc;
  const rest = doc.outbox.filter((o) => !keys.has(o.key));
  const { outbox: _cleared, ...without } = doc;
  return (rest.length > 0 ? { ...without, outbox: rest } : without) as T;
}
