/**
 * The schema of one policy file. Decoding resolves role names to built-in roles, measures
 * durations and compiles justification patterns, so a policy that decodes is one the
 * enforcer and the request rules can use as is. Unknown keys are errors: in a security
 * policy a misspelt key (`maxDurtion`) must not silently fall back to a default.
 */
import { z } from 'zod';
import { isGuid, normalizeScope, parseRoleAssignmentId } from '../armIds';
import { BUILT_IN_ROLES, findBuiltInRole } from '../roles';
import { formatDuration } from './duration';
import type { AssignmentExemption, PolicyRole } from './types';
import { guardrailsSchema } from '../guardrails/policySchema';
import { approversSchema, duration, objectId } from './fields';

export const ACCEPTED_ROLE_FORMS =
  'a built-in role display name (e.g. "Storage Blob Data Reader"), its role definition GUID, or its full role definition id';

export const DEFAULT_PENDING_REQUEST_TTL = 'PT24H';
export const DEFAULT_BREAKER = { maxRevocations: 20, window: 'PT5M' } as const;

const nonEmpty = z.string().trim().min(1, 'must not be empty');

const SUBSCRIPTION_SCOPE = /^\/subscriptions\/([^/]+)(\/.*)?$/i;
const MANAGEMENT_GROUP_SCOPE = /^\/providers\/Microsoft\.Management\/managementGroups\/[\w.()-]{1,90}$/i;

/**
 * An ARM scope a policy may govern: a management group (the subscriptions under it and
 * everything in them), or a scope inside a subscription. ARM scopes alternate type and name, so
 * the segment count is even.
 */
const scope = z.string().transform((text, ctx) => {
  const normalized = normalizeScope(text.trim());
  if (MANAGEMENT_GROUP_SCOPE.test(normalized)) return normalized;
  const match = SUBSCRIPTION_SCOPE.exec(normalized);
  if (!match || !isGuid(match[1] ?? '')) {
    ctx.addIssue({
      code: 'custom',
      message: `"${text}" is not a management group or under a subscription: write /providers/Microsoft.Management/managementGroups/<name> or /subscriptions/<subscription GUID>[/resourceGroups/<name>[/providers/...]]`,
    });
    return z.NEVER;
  }
  if (normalized.split('/').filter(Boolean).length % 2 !== 0) {
    ctx.addIssue({ code: 'custom', message: `"${text}" ends with a type segment without its name: ARM scopes alternate type and name` });
    return z.NEVER;
  }
  return normalized;
});

const roleRef = z.string().transform((text, ctx) => {
  const role = findBuiltInRole(text);
  if (!role) {
    ctx.addIssue({
      code: 'custom',
      message: `unknown role "${text}": name ${ACCEPTED_ROLE_FORMS}. Known roles: ${BUILT_IN_ROLES.map((r) => r.roleName).join(', ')}`,
    });
    return z.NEVER;
  }
  return { written: text, roleDefinitionGuid: role.guid, roleName: role.roleName };
});

const justificationSchema = z.strictObject({
  required: z.boolean().default(false),
  pattern: z
    .string()
    .min(1, 'must not be empty')
    .superRefine((pattern, ctx) => {
      try {
        new RegExp(pattern);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: `is not a valid regular expression: ${(err as Error).message}` });
      }
    })
    .optional(),
  minLength: z.number().int('must be a whole number').min(1, 'must be at least 1').optional(),
});

const policyRoleSchema = z
  .strictObject({
    role: roleRef,
    maxDuration: duration,
    minDuration: duration.optional(),
    approvals: z.number().int('must be a whole number').min(1, 'must be at least 1: every grant needs an approval'),
    approvers: approversSchema,
    justification: justificationSchema.prefault({}),
    renewable: z.boolean().default(true),
    approvalChannel: z.enum(['teams', 'web']).default('teams'),
  })
  .superRefine((r, ctx) => {
    if (r.maxDuration < 60_000) {
      ctx.addIssue({ code: 'custom', path: ['maxDuration'], message: `${formatDuration(r.maxDuration)} is shorter than one minute, the shortest grant AccessManager makes` });
    }
    if (r.minDuration !== undefined && r.minDuration > r.maxDuration) {
      ctx.addIssue({
        code: 'custom',
        path: ['minDuration'],
        message: `${formatDuration(r.minDuration)} is longer than maxDuration ${formatDuration(r.maxDuration)}`,
      });
    }
    if (r.approvers.groups.length === 0 && r.approvers.users.length > 0 && r.approvals > r.approvers.users.length) {
      ctx.addIssue({
        code: 'custom',
        path: ['approvals'],
        message: `${r.approvals} distinct approvals can never be reached: only ${r.approvers.users.length} user(s) and no group may approve`,
      });
    }
  })
  .transform(
    (r): PolicyRole => ({
      role: r.role.written,
      roleDefinitionGuid: r.role.roleDefinitionGuid,
      roleName: r.role.roleName,
      maxDuration: formatDuration(r.maxDuration),
      maxDurationMs: r.maxDuration,
      ...(r.minDuration !== undefined ? { minDuration: formatDuration(r.minDuration), minDurationMs: r.minDuration } : {}),
      approvals: r.approvals,
      approvers: r.approvers,
      justification: r.justification,
      renewable: r.renewable,
      approvalChannel: r.approvalChannel,
    }),
  );

const assignmentExemptionSchema = z
  .strictObject({
    name: objectId.optional(),
    id: z.string().optional(),
    reason: nonEmpty,
  })
  .transform((entry, ctx): AssignmentExemption => {
    if (entry.id === undefined) {
      if (entry.name === undefined) {
        ctx.addIssue({ code: 'custom', message: 'name the assignment: `name` (its GUID) or `id` (its full role assignment id)' });
        return z.NEVER;
      }
      return { name: entry.name, reason: entry.reason };
    }
    const parsed = parseRoleAssignmentId(entry.id);
    if (!parsed || !isGuid(parsed.name)) {
      ctx.addIssue({
        code: 'custom',
        path: ['id'],
        message: `"${entry.id}" is not a role assignment id: write <scope>/providers/Microsoft.Authorization/roleAssignments/<GUID>`,
      });
      return z.NEVER;
    }
    const name = parsed.name.toLowerCase();
    if (entry.name !== undefined && entry.name !== name) {
      ctx.addIssue({ code: 'custom', path: ['name'], message: `"${entry.name}" differs from the name at the end of id (${name})` });
      return z.NEVER;
    }
    return { name, id: parsed.id, reason: entry.reason };
  });

/** One policy file, as written by security admins (see policies/*.yaml for annotated examples). */
export const policySchema = z
  .strictObject({
    id: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]{0,62}$/i, 'use letters, digits and dashes (at most 63), starting with a letter or digit'),
    description: nonEmpty,
    scope,
    mode: z.enum(['enforce', 'audit']),
    kind: z.enum(['rigid', 'flexible']).default('rigid'),
    roles: z.array(policyRoleSchema).default([]),
    exception: z
      .strictObject({
        approvers: approversSchema,
        /**
         * The allow-list of roles requestable as exceptions. Absent: any role that is not
         * privileged. Privileged roles (Owner, User Access Administrator, Role Based Access
         * Control Administrator, anything that can write Microsoft.Authorization) are exceptions
         * only when listed here; `npm run policies:check` reports every such listing.
         */
        roles: z.array(roleRef).min(1, 'list at least one role, or leave roles out').optional(),
      })
      .optional(),
    pendingRequestTtl: duration.prefault(DEFAULT_PENDING_REQUEST_TTL),
    exemptions: z
      .strictObject({
        principals: z.array(z.strictObject({ id: objectId, reason: nonEmpty })).default([]),
        assignments: z.array(assignmentExemptionSchema).default([]),
      })
      .prefault({}),
    breaker: z
      .strictObject({
        maxRevocations: z.number().int('must be a whole number').min(1, 'must be at least 1').default(DEFAULT_BREAKER.maxRevocations),
        window: duration.prefault(DEFAULT_BREAKER.window),
      })
      .prefault({}),
    narrowest: z.enum(['advise', 'require'], { error: 'must be advise (show the narrowest role) or require (state the need; a broader role needs one more approval)' }).default('advise'),
    notify: z
      .strictObject({
        teamsChannel: z.strictObject({ teamId: nonEmpty, channelId: nonEmpty }).optional(),
      })
      .optional(),
    guardrails: guardrailsSchema.optional(),
  })
  .superRefine((p, ctx) => {
    const seen = new Map<string, number>();
    p.roles.forEach((r, i) => {
      const first = seen.get(r.roleDefinitionGuid);
      if (first !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['roles', i, 'role'], message: `${r.roleName} is already listed at roles[${first}]` });
      } else {
        seen.set(r.roleDefinitionGuid, i);
      }
    });
    if (p.kind === 'rigid' && p.exception) {
      ctx.addIssue({ code: 'custom', path: ['exception'], message: 'only a flexible policy takes exception requests: remove it or set kind: flexible' });
    }
    if (p.kind === 'flexible') {
      if (!p.exception) {
        ctx.addIssue({ code: 'custom', path: ['exception'], message: 'a flexible policy needs exception.approvers: who approves exception requests' });
      }
      if (p.roles.length === 0) {
        ctx.addIssue({ code: 'custom', path: ['roles'], message: 'a flexible policy needs at least one role: exception limits derive from the listed roles' });
      }
      if (p.exception && p.roles.length > 0) {
        const needed = Math.max(...p.roles.map((r) => r.approvals)) + 1;
        const { groups, users } = p.exception.approvers;
        if (groups.length === 0 && users.length > 0 && users.length < needed) {
          ctx.addIssue({
            code: 'custom',
            path: ['exception', 'approvers'],
            message: `exception requests need ${needed} distinct approvals but only ${users.length} user(s) and no group may approve`,
          });
        }
      }
    }
  })
  .transform((p) => ({
    ...p,
    exception: p.exception
      ? {
          approvers: p.exception.approvers,
          ...(p.exception.roles ? { roles: p.exception.roles.map((r) => ({ roleDefinitionGuid: r.roleDefinitionGuid, roleName: r.roleName })) } : {}),
        }
      : undefined,
    pendingRequestTtl: formatDuration(p.pendingRequestTtl),
    pendingRequestTtlMs: p.pendingRequestTtl,
    breaker: { maxRevocations: p.breaker.maxRevocations, window: formatDuration(p.breaker.window), windowMs: p.breaker.window },
  }));

