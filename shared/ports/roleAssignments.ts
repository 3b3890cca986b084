/**
 * The port through which the core reads and changes live Azure role assignments.
 * The ARM adapter implements it; unit tests use small fakes typed by it.
 */

export interface LiveAssignment {
  /** Full id, `{scope}/providers/Microsoft.Authorization/roleAssignments/{name}`. */
  id: string;
  name: string;
  scope: string;
  principalId: string;
  principalType?: string;
  /** Full role definition id as ARM answers it. */
  roleDefinitionId: string;
  createdOn?: string;
  createdBy?: string;
  description?: string;
}

export interface NewAssignment {
  scope: string;
  /** Assignment name (a GUID). Deterministic for grants, so a retried create converges. */
  name: string;
  roleDefinitionId: string;
  principalId: string;
  principalType?: 'User' | 'Group' | 'ServicePrincipal';
  description?: string;
}

export interface RoleAssignments {
  /** The assignment, or undefined when it does not exist (any more). */
  get(id: string): Promise<LiveAssignment | undefined>;
  /** Creates or confirms the assignment. ConflictError when another assignment already holds principal+role+scope. */
  create(assignment: NewAssignment): Promise<LiveAssignment>;
  /** Deletes by id; deleting what is already gone is a success ('gone'). */
  delete(id: string): Promise<'deleted' | 'gone'>;
  /** Assignments at, above and below the scope (ARM semantics), page by page. */
  listForScope(scope: string, options?: { principalId?: string; atScopeOnly?: boolean }): AsyncIterable<LiveAssignment[]>;
}
