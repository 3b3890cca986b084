/**
 * The audit record: what callers pass (AuditEntry), what the ledger stores (AuditRecord), and the
 * pure step that places an entry in a chain and seals it with its hash.
 */
import { z } from 'zod';
import { MAX_ARM_ID_LENGTH, scopeKey } from '../armIds';
import { ValidationError } from '../errors';
import { MAX_EVENT_ID_LENGTH } from '../events/envelope';
import { canonicalJson, sha256Hex } from './canonicalJson';

/** Every action the ledger records. Add new ones here; queries validate against this list. */
export const AUDIT_ACTIONS = [
  'request.created',
  'approval.recorded',
  'request.denied',
  'request.cancelled',
  'request.timedOut',
  'request.failed',
  'grant.created',
  'grant.expired',
  'grant.revoked',
  'grant.renewed',
  'grant.endedExternally',
  'assignment.revoked',
  'assignment.wouldRevoke',
  'assignment.exempt',
  'assignment.revokeFailed',
  'breaker.tripped',
  'breaker.reset',
  'enforcement.selfAccessLost',
  'enforcement.selfAccessRestored',
  'enforcement.rogueActor',
  'suggestion.made',
  'guardrail.remediated',
  'guardrail.wouldRemediate',
  'guardrail.violation',
  'guardrail.contested',
  'guardrail.exceptionGranted',
  'guardrail.exceptionEnded',
  'storage.keysListed',
  'storage.keyRegenerated',
  'storage.accountSasListed',
  'storage.serviceSasListed',
  'storage.blobEvent',
  'chain.opened',
] as const;

export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/** prevHash of a chain's genesis record (seq 0). */
export const GENESIS_PREV_HASH = '0'.repeat(64);

/** Width of the zero-padded seq in record ids: ids of one chain sort in seq order as strings. */
export const SEQ_DIGITS = 10;

const HASH = /^[0-9a-f]{64}$/;

/** Details stay small: the ledger is evidence, not a data store. */
export const MAX_DETAILS_BYTES = 4096;

/**
 * Field limits, in UTF-16 code units as zod counts them (auditFit.ts cuts entries to them). ARM
 * ids and event ids are as long as the event decoders accept: an event's audit entry always fits.
 */
export const AUDIT_LIMITS = {
  armId: MAX_ARM_ID_LENGTH,
  eventId: MAX_EVENT_ID_LENGTH,
  reason: 2000,
  actorName: 300,
  actorId: 200,
  shortId: 200,
} as const;

type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

const jsonValue: z.ZodType<JsonValue> = z.lazy(() =>
  z.union([z.string(), z.number().refine(Number.isFinite, 'must be a finite number'), z.boolean(), z.null(), z.array(jsonValue), z.record(z.string(), jsonValue)]),
);

const text = (max: number) => z.string().min(1, 'must not be empty').max(max, `must be at most ${max} characters`);

const actorSchema = z.strictObject({
  /** Entra object id of a person or of a managed identity. */
  id: text(AUDIT_LIMITS.actorId).optional(),
  name: text(AUDIT_LIMITS.actorName).optional(),
  /** Application (client) id when the actor is an app. */
  appId: text(AUDIT_LIMITS.actorId).optional(),
});

export type AuditActor = z.infer<typeof actorSchema>;

const isoInstant = z
  .string()
  .refine((s) => /^\d{4}-\d{2}-\d{2}T/.test(s) && !Number.isNaN(Date.parse(s)), 'must be an ISO 8601 date-time, e.g. 2025-01-31T12:00:00Z')
  .transform((s) => new Date(s).toISOString());

/** Target and context fields shared by entries and records. */
const targetFields = {
  principalId: text(AUDIT_LIMITS.shortId).optional(),
  // ARM ids run long (nested resources, Key Vault object names).
  scope: text(AUDIT_LIMITS.armId)
    .refine((s) => s.startsWith('/'), 'must be an ARM scope starting with /')
    .optional(),
  roleDefinitionId: text(AUDIT_LIMITS.armId).optional(),
  assignmentId: text(AUDIT_LIMITS.armId).optional(),
  requestId: text(AUDIT_LIMITS.shortId).optional(),
  grantId: text(AUDIT_LIMITS.shortId).optional(),
  eventId: text(AUDIT_LIMITS.eventId).optional(),
  policyId: text(AUDIT_LIMITS.shortId).optional(),
  mode: z.enum(['audit', 'enforce']).optional(),
  reason: text(AUDIT_LIMITS.reason).optional(),
  details: z
    .record(z.string(), jsonValue)
    .refine((d) => Buffer.byteLength(canonicalJson(d), 'utf8') <= MAX_DETAILS_BYTES, `must be at most ${MAX_DETAILS_BYTES} bytes as JSON`)
    .optional(),
};

/** What a use case hands to the ledger. `at` defaults to the ledger's clock. */
export const auditEntrySchema = z.strictObject({
  action: z.enum(AUDIT_ACTIONS),
  actor: actorSchema,
  at: isoInstant.optional(),
  ...targetFields,
});

export type AuditEntry = z.input<typeof auditEntrySchema>;
export type NormalizedAuditEntry = z.output<typeof auditEntrySchema>;

/** A stored record, as decoded from the store (system properties already stripped). */
export const auditRecordSchema = z.object({
  id: z.string(),
  chainId: z.string(),
  seq: z.number().int().nonnegative(),
  at: z.string(),
  action: z.enum(AUDIT_ACTIONS),
  actor: actorSchema,
  ...targetFields,
  scope: z.string().optional(),
  details: z.record(z.string(), jsonValue).optional(),
  scopeKey: z.string().optional(),
  /** sha256 of the appendOnce key, so a retry can find out whether the record already landed. */
  idempotencyKeyHash: z.string().regex(HASH).optional(),
  prevHash: z.string().regex(HASH),
  hash: z.string().regex(HASH),
});

export type AuditRecord = z.infer<typeof auditRecordSchema>;

/** Validates and normalizes an entry; ValidationError names each bad field. */
export function parseAuditEntry(input: unknown): NormalizedAuditEntry {
  const parsed = auditEntrySchema.safeParse(input);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.map(String).join('.') || '(entry)'}: ${i.message}`).join('; ');
    throw new ValidationError(`Audit entry is invalid: ${issues}.`, 'InvalidAuditEntry', parsed.error.issues);
  }
  return parsed.data;
}

export function recordId(chainId: string, seq: number): string {
  return `${chainId}:${String(seq).padStart(SEQ_DIGITS, '0')}`;
}

/** `chainId:0000000042` -> 42; undefined for anything that is not a record id of that chain. */
export function seqOfRecordId(chainId: string, id: string): number | undefined {
  const prefix = `${chainId}:`;
  if (!id.startsWith(prefix)) return undefined;
  const digits = id.slice(prefix.length);
  return new RegExp(`^\\d{${SEQ_DIGITS}}$`).test(digits) ? Number(digits) : undefined;
}

/**
 * The hash of a stored document: sha256 over the canonical JSON of every field except `hash`
 * itself and Cosmos's system properties (leading underscore). Every other field counts, including
 * ones an intruder adds.
 */
export function hashOf(doc: Readonly<Record<string, unknown>>): string {
  const content: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(doc)) {
    if (key === 'hash' || key.startsWith('_')) continue;
    content[key] = value;
  }
  return sha256Hex(canonicalJson(content));
}

export interface ChainPosition {
  chainId: string;
  seq: number;
  prevHash: string;
}

/**
 * Seals an entry at a chain position. `at` must already be set (the ledger fills it from its
 * clock); `idempotencyKeyHash` ties the record to an appendOnce marker.
 */
export function sealRecord(entry: NormalizedAuditEntry & { at: string }, position: ChainPosition, idempotencyKeyHash?: string): AuditRecord {
  const unsealed: Omit<AuditRecord, 'hash'> = {
    id: recordId(position.chainId, position.seq),
    chainId: position.chainId,
    seq: position.seq,
    at: entry.at,
    action: entry.action,
    actor: entry.actor,
    ...(entry.principalId !== undefined ? { principalId: entry.principalId } : {}),
    ...(entry.scope !== undefined ? { scope: entry.scope, scopeKey: scopeKey(entry.scope) } : {}),
    ...(entry.roleDefinitionId !== undefined ? { roleDefinitionId: entry.roleDefinitionId } : {}),
    ...(entry.assignmentId !== undefined ? { assignmentId: entry.assignmentId } : {}),
    ...(entry.requestId !== undefined ? { requestId: entry.requestId } : {}),
    ...(entry.grantId !== undefined ? { grantId: entry.grantId } : {}),
    ...(entry.eventId !== undefined ? { eventId: entry.eventId } : {}),
    ...(entry.policyId !== undefined ? { policyId: entry.policyId } : {}),
    ...(entry.mode !== undefined ? { mode: entry.mode } : {}),
    ...(entry.reason !== undefined ? { reason: entry.reason } : {}),
    ...(entry.details !== undefined ? { details: entry.details } : {}),
    ...(idempotencyKeyHash !== undefined ? { idempotencyKeyHash } : {}),
    prevHash: position.prevHash,
  };
  return { ...unsealed, hash: hashOf(unsealed) };
}
