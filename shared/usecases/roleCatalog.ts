/**
 * The prepared role catalog at a scope: ARM's built-in roles and provider operations, plus the
 * custom roles assignable there. Preparing costs tens of milliseconds, so a prepared catalog is
 * kept for as long as the port hands out the same lists (the caching adapter does until it refreshes).
 */
import { RoleCatalog } from '../domain/suggestions/catalog';
import type { KnownOperation, RoleDefinition, RoleDefinitions } from '../ports/roleDefinitions';

const prepared = new WeakMap<readonly KnownOperation[], WeakMap<readonly RoleDefinition[], RoleCatalog>>();
const withCustom = new WeakMap<RoleCatalog, WeakMap<readonly RoleDefinition[], RoleCatalog>>();

function baseCatalog(builtIn: readonly RoleDefinition[], operations: readonly KnownOperation[]): RoleCatalog {
  let byRoles = prepared.get(operations);
  if (!byRoles) prepared.set(operations, (byRoles = new WeakMap()));
  let catalog = byRoles.get(builtIn);
  if (!catalog) byRoles.set(builtIn, (catalog = RoleCatalog.build(builtIn, operations)));
  return catalog;
}

/** The catalog of every role assignable at `scope`. NotFoundError (from the port) when the scope does not exist. */
export async function catalogAt(roleDefinitions: RoleDefinitions, scope: string): Promise<RoleCatalog> {
  const [builtIn, operations, custom] = await Promise.all([roleDefinitions.builtIn(), roleDefinitions.operations(), roleDefinitions.customAt(scope)]);
  const base = baseCatalog(builtIn, operations);
  if (custom.length === 0) return base;
  let byCustom = withCustom.get(base);
  if (!byCustom) withCustom.set(base, (byCustom = new WeakMap()));
  let catalog = byCustom.get(custom);
  if (!catalog) byCustom.set(custom, (catalog = base.withRoles(custom)));
  return catalog;
}
