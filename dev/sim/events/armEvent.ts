/**
 * Builds `Microsoft.Resources.ResourceWriteSuccess` / `ResourceDeleteSuccess` / `ResourceActionSuccess` events in the
 * exact shape Azure delivers (see shared/fixtures/events). The evidence is the CALLER's
 * authorising assignment; like Azure, the event never names a new assignee.
 */
import type { RoleAssignment } from '../arm/assignmentStore';
import type { SimRole } from '../arm/roleCatalog';

export const RESOURCE_WRITE_SUCCESS = 'Microsoft.Resources.ResourceWriteSuccess';
export const RESOURCE_DELETE_SUCCESS = 'Microsoft.Resources.ResourceDeleteSuccess';
export const RESOURCE_ACTION_SUCCESS = 'Microsoft.Resources.ResourceActionSuccess';
export type ArmEventType = typeof RESOURCE_WRITE_SUCCESS | typeof RESOURCE_DELETE_SUCCESS | typeof RESOURCE_ACTION_SUCCESS;

export interface AuthorizationEvidence {
  role: string;
  roleAssignmentScope: string;
  /** The authorising assignment's name without dashes, as Azure writes it. */
  roleAssignmentId: string;
  roleDefinitionId: string;
  principalId: string;
  principalType: string;
}

export interface ArmEventData {
  authorization: { scope: string; action: string; evidence: AuthorizationEvidence };
  claims: Record<string, string>;
  correlationId: string;
  httpRequest: { clientRequestId: string; clientIpAddress: string; method: string; url: string };
  resourceProvider: string;
  resourceUri: string;
  operationName: string;
  status: 'Succeeded';
  subscriptionId: string;
  tenantId: string;
}

/** An Event Grid schema event. */
export interface EventGridEvent<T = unknown> {
  id: string;
  topic: string;
  subject: string;
  eventType: string;
  eventTime: string;
  dataVersion: string;
  metadataVersion: string;
  data: T;
}

export interface ArmEventInput {
  id: string;
  eventType: ArmEventType;
  eventTime: Date;
  subscriptionId: string;
  tenantId: string;
  /** The written or deleted resource, as the request named it. */
  resourceUri: string;
  /** e.g. `Microsoft.Authorization/roleAssignments/write`. */
  operationName: string;
  resourceProvider: string;
  evidence: AuthorizationEvidence;
  claims: Record<string, string>;
  correlationId: string;
  clientRequestId: string;
  clientIpAddress: string;
  method: string;
  /** Path and query of the request; the event shows it under https://management.azure.com. */
  pathAndQuery: string;
}

/** Azure writes event times with seven fractional digits. */
export function toEventTime(date: Date): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, '.$10000Z');
}

export function evidenceOf(assignment: RoleAssignment, role: Pick<SimRole, 'roleName' | 'guid'>): AuthorizationEvidence {
  return {
    role: role.roleName,
    roleAssignmentScope: assignment.properties.scope,
    roleAssignmentId: assignment.name.replace(/-/g, '').toLowerCase(),
    roleDefinitionId: role.guid.replace(/-/g, ''),
    principalId: assignment.properties.principalId,
    principalType: assignment.properties.principalType,
  };
}

export function toArmEvent(input: ArmEventInput): EventGridEvent<ArmEventData> {
  return {
    id: input.id,
    topic: `/subscriptions/${input.subscriptionId}`,
    subject: input.resourceUri,
    eventType: input.eventType,
    eventTime: toEventTime(input.eventTime),
    dataVersion: '2',
    metadataVersion: '1',
    data: {
      authorization: { scope: input.resourceUri, action: input.operationName, evidence: input.evidence },
      claims: input.claims,
      correlationId: input.correlationId,
      httpRequest: {
        clientRequestId: input.clientRequestId,
        clientIpAddress: input.clientIpAddress,
        method: input.method,
        url: `https://management.azure.com${input.pathAndQuery}`,
      },
      resourceProvider: input.resourceProvider,
      resourceUri: input.resourceUri,
      operationName: input.operationName,
      status: 'Succeeded',
      subscriptionId: input.subscriptionId,
      tenantId: input.tenantId,
    },
  };
}
