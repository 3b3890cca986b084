/**
 * RoleDefinitions over ARM with the real `@azure/arm-authorization` client: role definitions
 * listed with `$filter=type eq '…'` (api-version 2022-04-01) and the provider operations metadata
 * (`$expand=resourceTypes`). Role definitions are decoded from the raw REST answer, because the
 * SDK's model drops a permission block's ABAC condition, which decides whether the block covers a need.
 */
import type { AuthorizationManagementClient } from '@azure/arm-authorization';
import { normalizeScope } from '../../domain/armIds';
import { roleDefinitionFromArm } from '../../domain/suggestions/roleDefinition';
import type { KnownOperation, RoleDefinition, RoleDefinitions } from '../../ports/roleDefinitions';
import { toAzureError } from './armErrors';

type OnResponse = NonNullable<NonNullable<Parameters<AuthorizationManagementClient['roleDefinitions']['list']>[1]>['onResponse']>;

export class ArmRoleDefinitions implements RoleDefinitions {
  constructor(
    private readonly client: AuthorizationManagementClient,
    private readonly warn: (message: string) => void = (m) => console.warn(m),
  ) {}

  builtIn(): Promise<readonly RoleDefinition[]> {
    return this.list('/', "type eq 'BuiltInRole'", 'Listing built-in role definitions');
  }

  customAt(scope: string): Promise<readonly RoleDefinition[]> {
    const at = normalizeScope(scope);
    return this.list(at, "type eq 'CustomRole'", `Listing custom role definitions at ${at}`);
  }

  async operations(): Promise<readonly KnownOperation[]> {
    const out: KnownOperation[] = [];
    const add = (ops: ReadonlyArray<{ name?: string; isDataAction?: boolean }> | undefined) => {
      for (const op of ops ?? []) if (op.name) out.push({ name: op.name, isDataAction: op.isDataAction === true });
    };
    try {
      for await (const provider of this.client.providerOperationsMetadataOperations.list({ expand: 'resourceTypes' })) {
        add(provider.operations);
        for (const type of provider.resourceTypes ?? []) add(type.operations);
      }
    } catch (err) {
      throw toAzureError(err, 'Listing provider operations');
    }
    return out;
  }

  private async list(scope: string, filter: string, what: string): Promise<RoleDefinition[]> {
    const raw: unknown[] = [];
    // parsedBody is already the SDK's flattened model: read the REST answer itself.
    const onResponse: OnResponse = (response) => {
      let body: { value?: unknown } | undefined;
      try {
        body = response.bodyAsText ? (JSON.parse(response.bodyAsText) as { value?: unknown }) : undefined;
      } catch {
        body = undefined;
      }
      if (Array.isArray(body?.value)) raw.push(...(body.value as unknown[]));
    };
    try {
      // Pages are driven for their raw answers (onResponse); the SDK's decoded items are not used.
      for await (const _page of this.client.roleDefinitions.list(scope, { filter, onResponse }).byPage()) void _page;
    } catch (err) {
      throw toAzureError(err, what);
    }
    const out: RoleDefinition[] = [];
    for (const item of raw) {
      try {
        out.push(roleDefinitionFromArm(item));
      } catch (err) {
        // One malformed definition must not hide the rest; it is left out and logged.
        this.warn(`${what}: left out a role definition ARM answered in an unexpected shape (${err instanceof Error ? err.message.slice(0, 300) : String(err)})`);
      }
    }
    return out;
  }
}
