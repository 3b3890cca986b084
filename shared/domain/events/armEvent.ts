/**
 * Decodes ARM resource events (`Microsoft.Resources.Resource{Write,Delete,Action}Success`) into
 * what enforcement needs (actions: only the storage key and SAS listings guardrails watch). The event never says who the new assignee is: `data.authorization.evidence`
 * is the CALLER's authorising assignment, so it is never read here; the handler re-reads the
 * assignment from ARM by `assignmentId`.
 */
import { isIP } from 'node:net';
import { z } from 'zod';
import { ValidationError } from '../errors';
import { MAX_ARM_ID_LENGTH, isGuid, normalizeArmId, parseRoleAssignmentId, scopeKey, subscriptionOf } from '../armIds';
import type { IgnoredEvent, ReceivedEvent } from './envelope';
import { describeValue, isSafeText, nonEmptyString, parseOrThrow, safeString, toIsoMillis } from './guards';

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

/** Storage account actions that hand out data access outside every role grant. */
export type StorageKeyAction = 'listKeys' | 'regenerateKey' | 'listAccountSas' | 'listServiceSas';

export interface StorageActionEvent {
  kind: 'storageAccountAction';
  eventId: string;
  eventTime: string | undefined;
  /** The storage account, normalized. */
  resourceId: string;
  action: StorageKeyAction;
  caller: ArmCaller;
  operationName: string;
  correlationId?: string;
}

export type ArmEvent = RoleAssignmentEvent | ResourceChangeEvent | StorageActionEvent | IgnoredEvent;

const STORAGE_ACTIONS = new Map<string, StorageKeyAction>(
  (['listKeys', 'regenerateKey', 'listAccountSas', 'listServiceSas'] as const).map((a) => [`microsoft.storage/storageaccounts/${a.toLowerCase()}/action`, a]),
);

const WRITE_SUCCESS = 'microsoft.resources.resourcewritesuccess';
const DELETE_SUCCESS = 'microsoft.resources.resourcedeletesuccess';
const ACTION_SUCCESS = 'microsoft.resources.resourceactionsuccess';
const ROLE_ASSIGNMENT_WRITE = 'microsoft.authorization/roleassignments/write';
const ROLE_ASSIGNMENT_DELETE = 'microsoft.authorization/roleassignments/delete';

const CLAIM_OBJECT_ID = ['http://schemas.microsoft.com/identity/claims/objectidentifier', 'oid'];
const CLAIM_UPN = ['http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn', 'upn', 'name'];
const CLAIM_APP_ID = ['appid', 'azp'];
const CLAIM_IP = ['ipaddr'];

// Only the fields we use are declared; everything else (authorization, future fields) passes
// through unread. test/events/sdk.test.ts checks the names against the Event Grid SDK's model.
const armDataSchema = z.looseObject({
  resourceUri: safeString(MAX_ARM_ID_LENGTH).optional(),
  operationName: nonEmptyString(512),
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
function resourceIdOf(resourceUri: string | undefined, subject: string, label: string): string {
  const fromSubject = subject.length > 0 ? subject : undefined;
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
 * Decodes the data of one ARM resource event (its envelope was validated by envelope.ts).
 * Returns `ignored` for event types and statuses enforcement does not act on; throws
 * ValidationError (permanent: Event Grid must not redeliver) for malformed or hostile data.
 */
export function decodeArmEvent(envelope: ReceivedEvent): ArmEvent {
  const label = `ARM event ${envelope.id}`;
  const type = envelope.type.toLowerCase();
  let change: 'write' | 'delete' | 'action';
  if (type === WRITE_SUCCESS) change = 'write';
  else if (type === DELETE_SUCCESS) change = 'delete';
  else if (type === ACTION_SUCCESS) change = 'action';
  else if (type.startsWith('microsoft.resources.resource')) {
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
  const eventTime = toIsoMillis(envelope.time);
  const resourceId = resourceIdOf(data.resourceUri, envelope.subject, label);
  const operationName = data.operationName.trim();
  const operation = operationName.toLowerCase();
  const caller = callerOf(data);
  const correlationId = optionalText(data.correlationId);
  if (change === 'action') {
    const action = STORAGE_ACTIONS.get(operation);
    if (action === undefined) {
      return { kind: 'ignored', eventId: envelope.id, reason: `${operationName} is not an action guardrails watch (only storage key and SAS listings are)` };
    }
    const decodedAction: StorageActionEvent = { kind: 'storageAccountAction', eventId: envelope.id, eventTime, resourceId, action, caller, operationName };
    if (correlationId !== undefined) decodedAction.correlationId = correlationId;
    return decodedAction;
  }
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
