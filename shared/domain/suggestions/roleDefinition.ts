/**
 * A role definition as ARM returns it (REST shape of api-version 2022-04-01), decoded at the
 * boundary so the engine can rely on every list being there. Built-in and custom roles alike.
 */
import { z } from 'zod';
import { isGuid, isWithinScope } from '../armIds';

export interface PermissionBlock {
  actions: string[];
  notActions: string[];
  dataActions: string[];
  notDataActions: string[];
  /** ABAC condition: the block grants only when it holds, so it never counts as covering a need. */
  condition?: string;
}

export interface RoleDefinition {
  /** Full role definition id as ARM answered it. */
  id: string;
  /** Lower-case GUID (the definition's name). */
  guid: string;
  roleName: string;
  description: string;
  /** `BuiltInRole` or `CustomRole`. */
  roleType: string;
  assignableScopes: string[];
  permissions: PermissionBlock[];
}

const names = z.array(z.string().max(400)).max(5000).nullish().transform((v) => v ?? []);

const permissionSchema = z.object({
  actions: names,
  notActions: names,
  dataActions: names,
  notDataActions: names,
  condition: z.string().max(8000).nullish(),
  conditionVersion: z.string().nullish(),
});

/** One item of ARM's role definition list (`{id, name, type, properties: {...}}`). */
export const armRoleDefinitionSchema = z.object({
  id: z.string().min(1),
  name: z.string().refine(isGuid, 'must be a GUID'),
  properties: z.object({
    roleName: z.string().min(1).max(512),
    description: z.string().nullish(),
    type: z.string().min(1),
    assignableScopes: z.array(z.string()).nullish(),
    permissions: z.array(permissionSchema).nullish(),
  }),
});

/** Decodes one ARM role definition; throws a ZodError naming what is missing. */
export function roleDefinitionFromArm(value: unknown): RoleDefinition {
  const d = armRoleDefinitionSchema.parse(value);
  return {
    id: d.id,
    guid: d.name.toLowerCase(),
    roleName: d.properties.roleName,
    description: d.properties.description ?? '',
    roleType: d.properties.type,
    assignableScopes: d.properties.assignableScopes ?? ['/'],
    permissions: (d.properties.permissions ?? []).map((p) => ({
      actions: p.actions,
      notActions: p.notActions,
      dataActions: p.dataActions,
      notDataActions: p.notDataActions,
      ...(p.condition ? { condition: p.condition } : {}),
    })),
  };
}

/** True when the role can be assigned at `scope` (one of its assignable scopes is the scope or above it). */
export function assignableAt(role: Pick<RoleDefinition, 'assignableScopes'>, scope: string): boolean {
  return role.assignableScopes.some((s) => s === '/' || isWithinScope(scope, s));
}
