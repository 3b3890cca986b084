/**
 * The port through which the core reads and changes live Azure role assignments.
 * The ARM adapter implements it; unit tests use small fakes typed by it.
 */
import type { LiveAssignment, NewAssignment } from '../domain/roleAssignment';
import type { PermissionEntry } from '../domain/permissions';

export type { LiveAssignment, NewAssignment, PermissionEntry };

export interface RoleAssignments {
  /** The assignment, or undefined when it does not exist (any more). */
  get(id: string): Promise<LiveAssignment | undefined>;
  /** Creates or confirms the assignment. ConflictError when another assignment already holds principal+role+scope. */
  create(assignment: NewAssignment): Promise<LiveAssignment>;
  /** Deletes by id; deleting what is already gone is a success ('gone'). */
  delete(id: string): Promise<'deleted' | 'gone'>;
  /** Assignments at, above and below the scope (ARM semantics), page by page. */
  listForScope(scope: string, options?: { principalId?: string; atScopeOnly?: boolean }): AsyncIterable<LiveAssignment[]>;
  /** What AccessManager's own identity may do at the scope (ARM's permissions API): one entry per applying role. */
  permissionsAt(scope: string): Promise<PermissionEntry[]>;
}
