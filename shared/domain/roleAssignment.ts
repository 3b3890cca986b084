/** Role assignments as ARM has them (read back from ARM, never from an event) and as we ask ARM to create them. */

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
  /** Object id of whoever created it, as ARM recorded it. */
  createdBy?: string;
  updatedOn?: string;
  updatedBy?: string;
  description?: string;
  /** An ABAC condition narrowing the assignment, if any. */
  condition?: string;
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
