/** The simulator's catalog data (175 real built-in roles, 1,565 provider operations) as the engine sees it. */
import builtInRoles from '../../dev/sim/data/builtin-roles.json';
import providerOperations from '../../dev/sim/data/provider-operations.json';
import { RoleCatalog } from '../../shared/domain/suggestions/catalog';
import type { KnownOperation } from '../../shared/domain/suggestions/operations';
import { roleDefinitionFromArm, type RoleDefinition } from '../../shared/domain/suggestions/roleDefinition';

export const BUILT_IN_DEFINITIONS: RoleDefinition[] = (builtInRoles as unknown[]).map(roleDefinitionFromArm);
export const KNOWN_OPERATIONS: KnownOperation[] = (providerOperations as [string, boolean][]).map(([name, isDataAction]) => ({ name, isDataAction }));

let built: RoleCatalog | undefined;
export function realCatalog(): RoleCatalog {
  built ??= RoleCatalog.build(BUILT_IN_DEFINITIONS, KNOWN_OPERATIONS);
  return built;
}
