/**
 * Decodes ARM resource events (`Microsoft.Resources.Resource{Write,Delete}Success`) into what
 * enforcement needs. The event never says who the new assignee is: `data.authorization.evidence`
 * is the CALLER's authorising assignment, so it is never read here; the handler re-reads the
 * assignment from ARM by `assignmentId`.
 */
import { isIP } from 'node:net';
import { z } from 'zod';
import { ValidationError } from '../errors';
import { isGuid, normalizeScope, parseRoleAssignmentId, scopeKey, subscriptionOf } from '../armIds';

/** ARM ids longer than this are refused: ARM itself stays far below, so longer is hostile. */
export const MAX_ID_LENGTH = 2048;

/**
 * The normalized delivery every decoder takes (both Event Grid and CloudEvents schemas map
 * onto it: `eventType`/`type`, `eventTime`/`time`, `topic`/`source`). `ReceivedEvent` of
 * `shared/events/envelope.ts` fits it.
 */
export interface EventEnvelope {
  id: string;
  type: string;
  subject: string;
  /** A CloudEvent may omit it. */
  time: string | undefined;
  topic: string;
  data: unknown;
}

/** Who made the change, from the caller's token claims. Informational: absent claims stay undefined. */
export interface ArmCaller {
  objectId?: string;
  upn?: string;
  appId?: string;
  ipAddress?: string;
}

export interface RoleAssignmentEvent {
  kind: 'roleAssignmentWrite' | 'roleAssignmentDelete';
  eventId: string;
  /** ISO 8601, normalized to milliseconds; undefined when the event carried no time. */
  eventTime: string | undefined;
  /** The full assignment id, normalized (one leading slash, no doubled slashes), name lower-cased. */
  assignmentId: string;
  /** The assignment name: a GUID, lower-cased. */
  assignmentName: string;
  /** The scope the assignment sits at. */
  assignmentScope: string;
  /** Lower-cased; undefined for assignments above any subscription (management group, tenant root). */
  subscriptionId: string | undefined;
  caller: ArmCaller;
  correlationId?: string;
  status: string;
}

export interface ResourceChangeEvent {
  kind: 'storageAccountWrite' | 'keyVaultWrite' | 'otherWrite' | 'otherDelete';
  eventId: string;
  eventTime: string | undefined;
  /** The changed resource's id, normalized. */
  resourceId: string;
  caller: ArmCaller;
  operationName: string;
  correlationId?: string;
}

/** An event enforcement has nothing to do with (failed operation, action, other event type). */
export interface IgnoredEvent {
  kind: 'ignored';
  eventId: string;
  reason: string;
}

export type ArmEvent = RoleAssignmentEvent | ResourceChangeEvent | IgnoredEvent;

// ---------------------------------------------------------------------------------------------
// Hostile-input guards, shared by the Key Vault and storage decoders.

/**
 * True when `value` has no control characters (C0, DEL, C1), no invisible direction or
 * line-separator formatting characters and no unpaired surrogates: such characters in an id
 * can hide what an audit record says or break whatever later prints or keys it.
 */
export function isSafeText(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) return false;
    if (c === 0x200e || c === 0x200f || c === 0x2028 || c === 0x2029) return false;
    if ((c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069)) return false;
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = value.charCodeAt(i + 1);
      if (!(next >= 0xdc00 && next <= 0xdfff)) return false;
      i++;
    } else if (c >= 0xdc00 && c <= 0xdfff) {
      return false;
    }
  }
  return true;
}

/** A short, printable description of an untrusted value for error messages (never throws). */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') {
    if (!isSafeText(value)) return 'a string with control characters';
    return value.length > 80 ? `'${value.slice(0, 80)}...' (${value.length} characters)` : `'${value}'`;
  }
  if (typeof value === 'number' || typeof value === 'boolean') return `${typeof value} ${String(value)}`;
  return typeof value === 'object' ? 'an object' : typeof value;
}

/** A zod string that refuses over-long and hostile text, with messages naming the problem. */
export function safeString(max: number) {
  return z
    .string({ error: (iss) => (iss.input === undefined ? 'is missing' : `must be a string, not ${describeValue(iss.input)}`) })
    .max(max, { error: `is longer than ${max} characters` })
    .refine(isSafeText, { error: 'contains control or invisible formatting characters' });
}

/** Parses with `schema` or throws a ValidationError listing every problem with its path. */
export function parseOrThrow<T>(schema: z.ZodType<T>, value: unknown, what: string, root: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const path = [root, ...issue.path.map(String)].filter((p) => p.length > 0).join('.');
    return `${path} ${issue.message}`;
  });
  throw new ValidationError(`${what}: ${problems.join('; ')}`, 'InvalidEvent');
}

/** The envelope fields every decoder needs, validated the same way for every event source. */
export const envelopeSchema = z.object({
  id: safeString(256).refine((s) => s.length > 0, { error: 'is empty' }),
  type: safeString(256).refine((s) => s.length > 0, { error: 'is empty' }),
  subject: safeString(MAX_ID_LENGTH).optional(),
  time: safeString(64).optional(),
  topic: safeString(MAX_ID_LENGTH).optional(),
  data: z.unknown(),
});

export type CheckedEnvelope = z.infer<typeof envelopeSchema>;

/** Validates the envelope; `what` names the event source in messages ("ARM event"). */
export function checkEnvelope(event: unknown, what: string): CheckedEnvelope {
  if (typeof event !== 'object' || event === null || Array.isArray(event)) {
    throw new ValidationError(`${what}: expected one event object, got ${describeValue(event)}`, 'InvalidEvent');
  }
  const maybeId = (event as { id?: unknown }).id;
  const label = typeof maybeId === 'string' && maybeId.length > 0 && maybeId.length <= 256 && isSafeText(maybeId) ? `${what} ${maybeId}` : what;
  return parseOrThrow(envelopeSchema, event, label, '');
}

/** RFC 3339 date-time as Event Grid and Key Vault send it (up to 9 fractional digits). */
export const RFC3339_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/i;

/** An RFC 3339 event time as ISO 8601 in milliseconds; undefined stays undefined (CloudEvents may omit it). */
export function parseEventTime(time: string | undefined, label: string): string | undefined {
  if (time === undefined) return undefined;
  const ms = RFC3339_DATE_TIME.test(time) ? Date.parse(time) : Number.NaN;
  if (Number.isNaN(ms)) {
    throw new ValidationError(`${label}: time ${describeValue(time)} is not an RFC 3339 date-time`, 'InvalidEvent');
  }
  return new Date(ms).toISOString();
}

/**
 * Checks that `raw` is an ARM resource id or scope (`/subscriptions/{guid}[/resourceGroups/{rg}]`
 * or `/providers/...`, then `providers/{Namespace}/{type}/{name}[/{type}/{name}...]` groups) and
 * returns it normalized; undefined when it is not one. Length and characters are checked by the caller.
 */
export function normalizeArmId(raw: string): string | undefined {
  if (!raw.startsWith('/')) return undefined;
  const normalized = normalizeScope(raw);
  const segments = normalized.split('/').slice(1);
  if (segments.length === 0 || segments[0] === undefined || segments[0] === '') return undefined;
  for (const segment of segments) {
    // Inner spaces occur in real names (metric alerts); edge whitespace, `?`, `#` and dot
    // segments do not, and would let one id masquerade as another.
    if (segment === '.' || segment === '..' || /[?#]/.test(segment) || segment !== segment.trim()) return undefined;
  }
  const is = (i: number, word: string): boolean => segments[i]?.toLowerCase() === word;
  let i = 0;
  if (is(0, 'subscriptions')) {
    if (!isGuid(segments[1] ?? '')) return undefined;
    i = 2;
    if (is(i, 'resourcegroups')) {
      if (segments[i + 1] === undefined) return undefined;
      i += 2;
    }
  } else if (!is(0, 'providers')) {
    return undefined;
  }
  while (i < segments.length) {
    // Each extension starts with `providers/{Namespace}` and names at least one {type}/{name} pair.
    if (!is(i, 'providers') || !(segments[i + 1] ?? '').includes('.')) return undefined;
    i += 2;
    let pairs = 0;
    while (i < segments.length && !is(i, 'providers')) {
      if (segments[i + 1] === undefined) return undefined;
      i += 2;
      pairs++;
    }
    if (pairs === 0) return undefined;
  }
  return normalized;
}

// ---------------------------------------------------------------------------------------------
// ARM events.

const WRITE_SUCCESS = 'microsoft.resources.resourcewritesuccess';
const DELETE_SUCCESS = 'microsoft.resources.resourcedeletesuccess';
const ACTION_SUCCESS = 'microsoft.resources.resourceactionsuccess';
const ROLE_ASSIGNMENT_WRITE = 'microsoft.authorization/roleassignments/write';
const ROLE_ASSIGNMENT_DELETE = 'microsoft.authorization/roleassignments/delete';

const CLAIM_OBJECT_ID = ['http://schemas.microsoft.com/identity/claims/objectidentifier', 'oid'];
const CLAIM_UPN = ['http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn', 'upn', 'name'];
const CLAIM_APP_ID = ['appid', 'azp'];
const CLAIM_IP = ['ipaddr'];

// Only the fields we use are declared; everything else (authorization, httpRequest, future
// fields) passes through unread.
const armDataSchema = z.looseObject({
  resourceUri: safeString(MAX_ID_LENGTH).optional(),
  operationName: safeString(512).refine((s) => s.trim().length > 0, { error: 'is empty' }),
  status: safeString(64).optional(),
  subscriptionId: safeString(64).optional(),
  correlationId: z.unknown().optional(),
  claims: z.unknown().optional(),
  httpRequest: z.unknown().optional(),
});

function ownString(record: unknown, key: string): string | undefined {
  if (typeof record !== 'object' || record === null || Array.isArray(record)) return undefined;
  if (!Object.prototype.hasOwnProperty.call(record, key)) return undefined;
  const value = (record as Record<string, unknown>)[key];
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim();
  return trimmed.length > 0 && trimmed.length <= 512 && isSafeText(trimmed) ? trimmed : undefined;
}

function firstClaim(claims: unknown, names: readonly string[]): string | undefined {
  for (const name of names) {
    const value = ownString(claims, name);
    if (value !== undefined) return value;
  }
  return undefined;
}

/**
 * The caller, from the token claims. Claims are informational, so an odd value is dropped
 * rather than failing the event: losing an enforcement event over a display name is worse.
 */
function callerOf(data: { claims?: unknown; httpRequest?: unknown }): ArmCaller {
  const caller: ArmCaller = {};
  const objectId = firstClaim(data.claims, CLAIM_OBJECT_ID);
  if (objectId !== undefined && isGuid(objectId)) caller.objectId = objectId.toLowerCase();
  const upn = firstClaim(data.claims, CLAIM_UPN);
  if (upn !== undefined) caller.upn = upn;
  const appId = firstClaim(data.claims, CLAIM_APP_ID);
  if (appId !== undefined && isGuid(appId)) caller.appId = appId.toLowerCase();
  const ip = firstClaim(data.claims, CLAIM_IP) ?? ownString(data.httpRequest, 'clientIpAddress');
  if (ip !== undefined && isIP(ip) !== 0) caller.ipAddress = ip;
  return caller;
}

function armIdOrThrow(raw: string, field: string, label: string): string {
  const id = normalizeArmId(raw);
  if (id === undefined) {
    throw new ValidationError(`${label}: ${field} ${describeValue(raw)} is not an ARM resource id`, 'InvalidEvent');
  }
  return id;
}

/**
 * The changed resource: `data.resourceUri`, falling back to the subject (they name the same
 * resource on ARM events); when both are present they must agree, or the event is refused.
 */
function resourceIdOf(resourceUri: string | undefined, subject: string | undefined, label: string): string {
  const fromSubject = subject !== undefined && subject.length > 0 ? subject : undefined;
  if (resourceUri === undefined || resourceUri.length === 0) {
    if (fromSubject === undefined) {
      throw new ValidationError(`${label}: data.resourceUri is missing and the event has no subject to fall back on`, 'InvalidEvent');
    }
    return armIdOrThrow(fromSubject, 'subject', label);
  }
  const id = armIdOrThrow(resourceUri, 'data.resourceUri', label);
  if (fromSubject !== undefined && scopeKey(fromSubject) !== scopeKey(id)) {
    throw new ValidationError(
      `${label}: subject ${describeValue(fromSubject)} and data.resourceUri ${describeValue(resourceUri)} name different resources`,
      'InvalidEvent',
    );
  }
  return id;
}

function optionalText(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 && value.length <= 256 && isSafeText(value) ? value : undefined;
}

/**
 * Decodes one ARM resource event. Returns `ignored` for event types and statuses enforcement
 * does not act on; throws ValidationError (permanent: Event Grid must not redeliver) for
 * malformed or hostile data.
 */
export function decodeArmEvent(event: EventEnvelope): ArmEvent {
  const envelope = checkEnvelope(event, 'ARM event');
  const label = `ARM event ${envelope.id}`;
  const type = envelope.type.toLowerCase();
  let change: 'write' | 'delete';
  if (type === WRITE_SUCCESS) change = 'write';
  else if (type === DELETE_SUCCESS) change = 'delete';
  else if (type === ACTION_SUCCESS) {
    return { kind: 'ignored', eventId: envelope.id, reason: 'resource actions (such as listKeys) create or remove no access enforcement watches' };
  } else if (type.startsWith('microsoft.resources.resource')) {
    return { kind: 'ignored', eventId: envelope.id, reason: `${envelope.type}: the operation did not succeed, so nothing changed` };
  } else {
    return { kind: 'ignored', eventId: envelope.id, reason: `${envelope.type} is not an ARM resource write or delete` };
  }

  const data = parseOrThrow(armDataSchema, envelope.data, label, 'data');
  // A *Success event without a status is taken as succeeded (its type says so): dropping it
  // would leave an unchecked change until the next reconcile.
  const status = data.status ?? 'Succeeded';
  if (status.toLowerCase() !== 'succeeded') {
    return { kind: 'ignored', eventId: envelope.id, reason: `status is ${describeValue(status)}, not Succeeded` };
  }
  const eventTime = parseEventTime(envelope.time, label);
  const resourceId = resourceIdOf(data.resourceUri, envelope.subject, label);
  const operationName = data.operationName.trim();
  const operation = operationName.toLowerCase();
  const caller = callerOf(data);
  const correlationId = optionalText(data.correlationId);
  const roleAssignment = parseRoleAssignmentId(resourceId);
  const isRoleAssignmentOperation = operation === ROLE_ASSIGNMENT_WRITE || operation === ROLE_ASSIGNMENT_DELETE;

  if (roleAssignment !== undefined || isRoleAssignmentOperation) {
    const expected = change === 'write' ? ROLE_ASSIGNMENT_WRITE : ROLE_ASSIGNMENT_DELETE;
    if (operation !== expected) {
      throw new ValidationError(
        `${label}: operationName ${describeValue(operationName)} does not match a ${envelope.type} of role assignment ${describeValue(resourceId)}`,
        'InvalidEvent',
      );
    }
    if (roleAssignment === undefined) {
      throw new ValidationError(`${label}: operationName is ${operationName} but ${describeValue(resourceId)} is not a role assignment id`, 'InvalidEvent');
    }
    if (!isGuid(roleAssignment.name)) {
      throw new ValidationError(`${label}: role assignment name ${describeValue(roleAssignment.name)} is not a GUID`, 'InvalidEvent');
    }
    const assignmentName = roleAssignment.name.toLowerCase();
    const assignmentScope = roleAssignment.scope;
    const assignmentId = `${assignmentScope === '/' ? '' : assignmentScope}/providers/Microsoft.Authorization/roleAssignments/${assignmentName}`;
    const subscriptionFromId = subscriptionOf(assignmentScope);
    const subscriptionFromData = data.subscriptionId !== undefined && isGuid(data.subscriptionId) ? data.subscriptionId.toLowerCase() : undefined;
    if (subscriptionFromId !== undefined && subscriptionFromData !== undefined && subscriptionFromId !== subscriptionFromData) {
      throw new ValidationError(
        `${label}: data.subscriptionId ${describeValue(data.subscriptionId)} is not the subscription of ${describeValue(assignmentId)}`,
        'InvalidEvent',
      );
    }
    const subscriptionId = subscriptionFromId ?? subscriptionFromData;
    const decoded: RoleAssignmentEvent = {
      kind: change === 'write' ? 'roleAssignmentWrite' : 'roleAssignmentDelete',
      eventId: envelope.id,
      eventTime,
      assignmentId,
      assignmentName,
      assignmentScope,
      subscriptionId,
      caller,
      status,
    };
    if (correlationId !== undefined) decoded.correlationId = correlationId;
    return decoded;
  }

  let kind: ResourceChangeEvent['kind'];
  if (change === 'delete') kind = 'otherDelete';
  // Any write under a storage account or a vault (the account itself, its network rules,
  // containers, access policies) is configuration drift the handlers look at.
  else if (operation.startsWith('microsoft.storage/storageaccounts/')) kind = 'storageAccountWrite';
  else if (operation.startsWith('microsoft.keyvault/vaults/')) kind = 'keyVaultWrite';
  else kind = 'otherWrite';
  const decoded: ResourceChangeEvent = { kind, eventId: envelope.id, eventTime, resourceId, caller, operationName };
  if (correlationId !== undefined) decoded.correlationId = correlationId;
  return decoded;
}
