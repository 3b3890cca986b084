/**
 * An access request and its approvals, as stored and as the API returns them (API.md,
 * "Request"). `accessRequestSchema` decodes a stored document at the store boundary.
 */
import { z } from 'zod';
import type { ApprovalChannel } from '../policy/types';
import { outboxEntrySchema, type OutboxEntry } from '../audit/outbox';
import type { NeedCheck, StatedNeed } from '../suggestions/needCheck';

export type RequestStatus = 'pending' | 'approved' | 'denied' | 'cancelled' | 'timedOut' | 'failed';
export type Decision = 'approve' | 'deny';

export interface Approval {
  approverId: string;
  approverName: string;
  decision: Decision;
  comment?: string;
  /** ISO 8601 instant. */
  at: string;
}

export interface Requester {
  id: string;
  name: string;
}

/** What a guardrail exception request asks for (see shared/domain/guardrails/exceptionRules.ts). */
export interface GuardrailExceptionAsk {
  /** The storage account or vault (also the request's `scope`). */
  resourceKind: 'storageAccount' | 'keyVault';
  /** The guarded setting, by its ARM wire name. */
  property: string;
  /** The value the setting may hold while the exception is in force. */
  allowedValue: string | boolean;
  /** What the guardrail requires otherwise. */
  requiredValue: string | boolean;
  /** What stands in for the guardrail meanwhile. */
  compensatingControl: string;
}

export interface AccessRequest {
  id: string;
  /**
   * `role` (absent on requests stored before exceptions existed): a role for a principal.
   * `guardrailException`: a time-bound exception to a storage or vault guardrail; `roleName` then
   * names it (`Guardrail exception: allowSharedKeyAccess = true`), `roleDefinitionId` is empty and
   * `grantId` names the exception once approved.
   */
  kind?: 'role' | 'guardrailException';
  guardrail?: GuardrailExceptionAsk;
  requester: Requester;
  /** Who gets the role; the requester unless they ask on behalf of another principal. */
  principalId: string;
  /** What the principal is, as the directory says (absent on requests made before it was recorded: read it then). */
  principalType?: 'User' | 'Group' | 'ServicePrincipal';
  /** Normalized ARM scope. */
  scope: string;
  /** Full role definition id at the subscription of the scope. */
  roleDefinitionId: string;
  roleName: string;
  /** Canonical ISO 8601 duration of the grant, counted from grant time. */
  duration: string;
  durationMs?: number;
  justification: string;
  policyId: string;
  status: RequestStatus;
  approvals: Approval[];
  requiredApprovals: number;
  /** Members (transitively) of these groups may approve. */
  approverGroups: string[];
  /** These users may approve. */
  approverUsers: string[];
  /** True when a flexible policy took it as an exception (stricter approval, shorter cap). */
  exception: boolean;
  createdAt: string;
  /** The pending deadline: after it, the request times out. */
  expiresAt: string;
  resolvedAt?: string;
  grantId?: string;
  /** Set on a renewal: the grant it extends. */
  renewsGrantId?: string;
  approvalChannel: ApprovalChannel;
  /** The longest grant the policy allowed when the request was made (the cap on a renewal extension). */
  maxDurationMs?: number;
  /** Why a request ended `failed` (e.g. the role assignment could not be created). */
  failureReason?: string;
  /**
   * false from approval until its grant is recorded: the fulfilment backlog the timer retries
   * after a crash or an ARM outage. Absent on requests that never got approved.
   */
  fulfilled?: boolean;
  /**
   * Set while fulfilment waits because Azure refused AccessManager's identity (its permission was
   * removed): the timer retries, and the grant's clock starts when it finally succeeds.
   */
  waitingForPermission?: boolean;
  /** When the grant's clock starts, if not at `resolvedAt` (after waiting for permission). */
  grantFrom?: string;
  /** Audit entries of changes not yet in the ledger (see domain/audit/outbox). Internal: not part of the API's request. */
  outbox?: OutboxEntry[];
  /** What the requester says they need (free text and/or operations). */
  need?: StatedNeed;
  /** The requested role measured against the stated operations when the request was made. */
  needCheck?: NeedCheck;
  /** Why the request needs more approvals than its role's terms (policy `narrowest: require`). */
  extraApprovalReason?: string;
}

/** A request before the store gives it an id. */
export type RequestDraft = Omit<AccessRequest, 'id'>;

const isoInstant = z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'must be an ISO 8601 date-time');

const names = z.array(z.string());
const breadthSchema = z.object({ dataActions: z.number(), accessActions: z.number(), writeActions: z.number(), readActions: z.number() });
const verdictSchema = z.object({ roleName: z.string(), roleDefinitionGuid: z.string(), exact: z.boolean(), breadth: breadthSchema });

export const statedNeedSchema = z.object({ text: z.string().optional(), actions: names, dataActions: names });

export const needCheckSchema = z.object({
  scope: z.string(),
  requested: verdictSchema.extend({
    covers: z.boolean(),
    missing: z.object({ actions: names, dataActions: names }),
    extra: z.array(
      z.object({
        kind: z.enum(['action', 'dataAction']),
        permission: z.string(),
        except: names.optional(),
        effective: z.boolean(),
        conditional: z.boolean().optional(),
        note: z.string().optional(),
      }),
    ),
  }),
  narrowest: verdictSchema.extend({ requestable: z.boolean() }).optional(),
  narrowestRequestable: verdictSchema.optional(),
  broaderThanNeeded: z.boolean(),
  broaderThanRequestable: z.boolean(),
});

export const approvalSchema = z.object({
  approverId: z.string().min(1),
  approverName: z.string(),
  decision: z.enum(['approve', 'deny']),
  comment: z.string().optional(),
  at: isoInstant,
});

/** A stored request; unknown extra fields (Cosmos `_etag`, `_ts`, ...) are dropped. */
export const accessRequestSchema = z.object({
  id: z.string().min(1),
  kind: z.enum(['role', 'guardrailException']).optional(),
  guardrail: z
    .object({
      resourceKind: z.enum(['storageAccount', 'keyVault']),
      property: z.string().min(1),
      allowedValue: z.union([z.string(), z.boolean()]),
      requiredValue: z.union([z.string(), z.boolean()]),
      compensatingControl: z.string(),
    })
    .optional(),
  requester: z.object({ id: z.string().min(1), name: z.string() }),
  principalId: z.string().min(1),
  principalType: z.enum(['User', 'Group', 'ServicePrincipal']).optional(),
  scope: z.string().min(1),
  // Empty only on guardrail exceptions (checked below).
  roleDefinitionId: z.string(),
  roleName: z.string().min(1),
  duration: z.string().min(1),
  durationMs: z.number().int().positive().optional(),
  justification: z.string(),
  policyId: z.string().min(1),
  status: z.enum(['pending', 'approved', 'denied', 'cancelled', 'timedOut', 'failed']),
  approvals: z.array(approvalSchema),
  requiredApprovals: z.number().int().min(1),
  approverGroups: z.array(z.string()),
  approverUsers: z.array(z.string()),
  exception: z.boolean(),
  createdAt: isoInstant,
  expiresAt: isoInstant,
  resolvedAt: isoInstant.optional(),
  grantId: z.string().optional(),
  renewsGrantId: z.string().optional(),
  approvalChannel: z.enum(['teams', 'web']),
  maxDurationMs: z.number().int().positive().optional(),
  failureReason: z.string().optional(),
  fulfilled: z.boolean().optional(),
  waitingForPermission: z.boolean().optional(),
  grantFrom: isoInstant.optional(),
  outbox: z.array(outboxEntrySchema).optional(),
  need: statedNeedSchema.optional(),
  needCheck: needCheckSchema.optional(),
  extraApprovalReason: z.string().optional(),
})
  .refine((r) => r.kind === 'guardrailException' || r.roleDefinitionId.length > 0, { path: ['roleDefinitionId'], message: 'must not be empty on a role request' })
  .refine((r) => (r.kind === 'guardrailException') === (r.guardrail !== undefined), { path: ['guardrail'], message: 'is set exactly on guardrail exception requests' }) satisfies z.ZodType<AccessRequest>;
