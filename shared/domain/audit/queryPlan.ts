/**
 * Audit queries as pure values: the filter admins send (validated) and the opaque continuation
 * token (keyset on (at, id), newest first) we issue ourselves so that paging works the same on
 * real Cosmos and on the embedded server (the SQL lives with the ledger's adapter).
 */
import { z } from 'zod';
import { ValidationError } from '../errors';
import { AUDIT_ACTIONS } from './record';

export const DEFAULT_QUERY_LIMIT = 50;
export const MAX_QUERY_LIMIT = 500;

const text = (max: number) => z.string().trim().min(1, 'must not be empty').max(max, `must be at most ${max} characters`);

const instant = z
  .string()
  .trim()
  .refine((s) => /^\d{4}-\d{2}-\d{2}(T|$)/.test(s) && !Number.isNaN(Date.parse(s)), 'must be an ISO 8601 date or date-time, e.g. 2025-01-31T12:00:00Z')
  .transform((s) => new Date(s).toISOString());

/** Accepts HTTP query-string values (all strings) as well as typed values. */
export const auditQueryFilterSchema = z
  .strictObject({
    principalId: text(200).optional(),
    /** The scope and everything under it (whole path segments: rg-weights does not match rg-weights2). */
    scope: text(1000)
      .refine((s) => s.startsWith('/'), 'must be an ARM scope starting with /, e.g. /subscriptions/<id>/resourceGroups/<name>')
      .optional(),
    action: z.enum(AUDIT_ACTIONS, { error: () => `must be one of ${AUDIT_ACTIONS.join(', ')}` }).optional(),
    requestId: text(200).optional(),
    grantId: text(200).optional(),
    /** Inclusive. */
    from: instant.optional(),
    /** Exclusive. */
    to: instant.optional(),
    limit: z.coerce
      .number({ error: () => 'must be a whole number' })
      .int('must be a whole number')
      .min(1, 'must be at least 1')
      .max(MAX_QUERY_LIMIT, `must be at most ${MAX_QUERY_LIMIT}`)
      .default(DEFAULT_QUERY_LIMIT),
    continuationToken: z.string().max(1000, 'is too long to be a token this API issued').optional(),
  })
  .refine((f) => f.from === undefined || f.to === undefined || f.from < f.to, { message: 'from must be earlier than to', path: ['from'] });

export type AuditQueryFilter = z.input<typeof auditQueryFilterSchema>;
export type ParsedAuditQueryFilter = z.output<typeof auditQueryFilterSchema>;

/** Validates a filter; ValidationError names each bad parameter. */
export function parseAuditQueryFilter(input: unknown): ParsedAuditQueryFilter {
  const parsed = auditQueryFilterSchema.safeParse(input ?? {});
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => (i.path.length ? `${i.path.map(String).join('.')} ${i.message}` : i.message)).join('; ');
    throw new ValidationError(`Invalid audit query: ${issues}.`, 'InvalidAuditQuery', parsed.error.issues);
  }
  return parsed.data;
}

/** Where the previous page ended: the next page holds records strictly older in (at, id) order. */
export interface AuditCursor {
  at: string;
  id: string;
}

const cursorSchema = z.strictObject({ v: z.literal(1), at: z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/), id: z.string().min(1).max(300) });

export function encodeContinuationToken(cursor: AuditCursor): string {
  return Buffer.from(JSON.stringify({ v: 1, at: cursor.at, id: cursor.id }), 'utf8').toString('base64url');
}

/** ValidationError for anything that is not a token this API issued. */
export function decodeContinuationToken(token: string): AuditCursor {
  const invalid = () => new ValidationError('continuationToken is not one this API issued; repeat the query without it to start from the newest records.', 'InvalidContinuationToken');
  if (!/^[A-Za-z0-9_-]+$/.test(token)) throw invalid();
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  const parsed = cursorSchema.safeParse(decoded);
  if (!parsed.success) throw invalid();
  return { at: parsed.data.at, id: parsed.data.id };
}
