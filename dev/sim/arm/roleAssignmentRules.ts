/**
 * Pure rules of the role assignment API: decoding a PUT body, parsing `$filter`, which
 * assignments a scope listing returns, and `$skipToken` paging. No I/O, no state.
 */
import { z } from 'zod';
import { isGuid, isWithinScope, scopeKey } from '../../../shared/domain/armIds';
import { SimHttpError } from '../http';
import type { RoleAssignment } from './assignmentStore';

const PRINCIPAL_TYPES = ['User', 'Group', 'ServicePrincipal', 'ForeignGroup', 'Device'] as const;

const putBodySchema = z.object({
  properties: z.object({
    roleDefinitionId: z.string({ error: 'properties.roleDefinitionId is required' }).min(1, 'properties.roleDefinitionId is required'),
    principalId: z.string({ error: 'properties.principalId is required' }).min(1, 'properties.principalId is required'),
    principalType: z.enum(PRINCIPAL_TYPES).optional(),
    description: z.string().nullish(),
    condition: z.string().nullish(),
    conditionVersion: z.string().nullish(),
    delegatedManagedIdentityResourceId: z.string().nullish(),
  }, { error: 'the body must be {"properties": {"roleDefinitionId": ..., "principalId": ...}}' }),
});

export type RoleAssignmentPutBody = z.infer<typeof putBodySchema>['properties'];

export function decodePutBody(body: unknown, bodyInvalid: boolean): RoleAssignmentPutBody {
  if (bodyInvalid) throw new SimHttpError(400, 'InvalidRequestContent', 'The request content was invalid and could not be deserialized: the body is not JSON.');
  const parsed = putBodySchema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
    throw new SimHttpError(400, 'InvalidRequestContent', `The request content was invalid and could not be deserialized: ${where}${issue?.message ?? 'invalid body'}.`);
  }
  return parsed.data.properties;
}

const ROLE_DEFINITION_ID = /^(?:\/subscriptions\/[^/]+)?\/providers\/Microsoft\.Authorization\/roleDefinitions\/([^/]+)$/i;

/** The GUID of a role definition id in a PUT body; ARM wants the full id, not a bare GUID. */
export function roleDefinitionGuidOfBody(roleDefinitionId: string): string {
  const m = ROLE_DEFINITION_ID.exec(roleDefinitionId.replace(/\/+/g, '/').replace(/\/$/, ''));
  if (!m?.[1] || !isGuid(m[1])) {
    throw new SimHttpError(
      400,
      'InvalidRoleDefinitionId',
      `The role definition ID '${roleDefinitionId}' is not valid: use /subscriptions/{subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/{guid}.`,
    );
  }
  return m[1].toLowerCase();
}

export interface AssignmentFilter {
  /** Only assignments at or above the scope (`atScope()`). */
  atScopeOnly: boolean;
  /** `principalId eq '…'`: this principal's own assignments. */
  principalId?: string;
  /** `assignedTo('…')`: the principal's assignments and its groups'. */
  assignedTo?: string;
}

const TERM_AT_SCOPE = /^atScope\(\)$/i;
const TERM_PRINCIPAL = /^principalId\s+eq\s+'([^']+)'$/i;
const TERM_ASSIGNED_TO = /^assignedTo\('([^']+)'\)$/i;

/** Parses the `$filter` forms ARM supports for role assignments, joined by `and`. */
export function parseAssignmentFilter(filter: string | undefined): AssignmentFilter {
  const result: AssignmentFilter = { atScopeOnly: false };
  if (!filter || filter.trim() === '') return result;
  for (const raw of filter.split(/\s+and\s+/i)) {
    const term = raw.trim();
    let m: RegExpExecArray | null;
    if (TERM_AT_SCOPE.test(term)) result.atScopeOnly = true;
    else if ((m = TERM_PRINCIPAL.exec(term))) result.principalId = m[1];
    else if ((m = TERM_ASSIGNED_TO.exec(term))) result.assignedTo = m[1];
    else {
      throw new SimHttpError(
        400,
        'UnsupportedQuery',
        `The filter '${filter}' is not supported. Supported: atScope(), principalId eq '{id}', assignedTo('{id}'), joined with 'and'.`,
      );
    }
  }
  return result;
}

/**
 * ARM semantics: a listing shows assignments at, above (management groups included, with their
 * own scope) and below the scope; `atScope()` drops those below. `ancestry` gives the scope keys
 * at and above a scope; without it, containment is by path only.
 */
export function listedAtScope(assignmentScope: string, targetScope: string, atScopeOnly: boolean, ancestry?: (scope: string) => string[]): boolean {
  const within = (inner: string, outer: string) => (ancestry ? ancestry(inner).includes(scopeKey(outer)) : isWithinScope(inner, outer));
  if (within(targetScope, assignmentScope)) return true;
  return !atScopeOnly && within(assignmentScope, targetScope);
}

export interface Page<T> {
  items: T[];
  /** Opaque token of the next page; undefined on the last page. */
  nextToken?: string;
}

/**
 * One page of assignments in id order. The token is the last id served, so a page boundary
 * stays put when assignments are created or deleted between pages.
 */
export function pageOfAssignments(matches: RoleAssignment[], pageSize: number, skipToken: string | undefined): Page<RoleAssignment> {
  const keyed = matches.map((a) => [scopeKey(a.id), a] as const).sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
  let start = 0;
  if (skipToken) {
    let after: string;
    try {
      after = Buffer.from(skipToken, 'base64url').toString('utf8');
    } catch {
      throw new SimHttpError(400, 'InvalidSkipToken', `The $skipToken '${skipToken}' is not valid; follow nextLink as given.`);
    }
    start = keyed.findIndex(([k]) => k > after);
    if (start < 0) start = keyed.length;
  }
  const slice = keyed.slice(start, start + pageSize);
  const last = slice[slice.length - 1];
  const more = start + pageSize < keyed.length;
  return { items: slice.map(([, a]) => a), ...(more && last ? { nextToken: Buffer.from(last[0]).toString('base64url') } : {}) };
}
