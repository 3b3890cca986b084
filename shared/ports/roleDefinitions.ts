/**
 * The port through which the core reads Azure's role catalog: role definitions (built-in and
 * custom) and the operations resource providers publish. The ARM adapter implements it, a caching
 * decorator keeps it cheap; unit tests use small fakes typed by it.
 */
import type { KnownOperation } from '../domain/suggestions/operations';
import type { RoleDefinition } from '../domain/suggestions/roleDefinition';

export type { KnownOperation, RoleDefinition };

export interface RoleDefinitions {
  /** Every built-in role definition (ARM: `/providers/Microsoft.Authorization/roleDefinitions?$filter=type eq 'BuiltInRole'`). */
  builtIn(): Promise<readonly RoleDefinition[]>;
  /**
   * Custom role definitions assignable at the scope (ARM lists those applicable at the scope and
   * above). NotFoundError when the scope does not exist.
   */
  customAt(scope: string): Promise<readonly RoleDefinition[]>;
  /** Every operation of every resource provider (ARM's provider operations metadata). */
  operations(): Promise<readonly KnownOperation[]>;
}
