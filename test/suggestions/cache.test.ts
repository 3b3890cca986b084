/** The role catalog cache: fresh entries served from memory, stale ones while refreshing, errors only when nothing usable is left. */
import { CachedRoleDefinitions, type RoleCatalogCacheSettings } from '../../shared/adapters/arm/cachedRoleDefinitions';
import type { KnownOperation, RoleDefinition, RoleDefinitions } from '../../shared/ports/roleDefinitions';
import { NotFoundError, TransientError } from '../../shared/domain/errors';

const SETTINGS: RoleCatalogCacheSettings = { builtInTtlMs: 1000, operationsTtlMs: 1000, customTtlMs: 100, maxStaleMs: 5000, maxScopes: 2 };

function role(name: string): RoleDefinition {
  return { id: `/x/${name}`, guid: name, roleName: name, description: '', roleType: 'CustomRole', assignableScopes: ['/'], permissions: [] };
}

class FakeArm implements RoleDefinitions {
  calls: string[] = [];
  fail = false;
  version = 0;
  async builtIn(): Promise<readonly RoleDefinition[]> {
    this.calls.push('builtIn');
    if (this.fail) throw new TransientError('ARM is down');
    return [role(`builtin-${this.version}`)];
  }
  async operations(): Promise<readonly KnownOperation[]> {
    this.calls.push('operations');
    return [];
  }
  async customAt(scope: string): Promise<readonly RoleDefinition[]> {
    this.calls.push(`custom:${scope}`);
    if (scope === '/missing') throw new NotFoundError('no such scope');
    return [role(`custom-${this.version}`)];
  }
}

function setup() {
  let now = 0;
  const arm = new FakeArm();
  const warnings: string[] = [];
  const cache = new CachedRoleDefinitions(arm, () => now, SETTINGS, (m) => warnings.push(m));
  return { arm, cache, warnings, advance: (ms: number) => (now += ms) };
}

it('serves a fresh entry from memory, the same list each time', async () => {
  const { arm, cache } = setup();
  const first = await cache.builtIn();
  expect(await cache.builtIn()).toBe(first);
  expect(arm.calls).toEqual(['builtIn']);
});

it('concurrent first calls share one ARM read', async () => {
  const { arm, cache } = setup();
  await Promise.all([cache.builtIn(), cache.builtIn(), cache.builtIn()]);
  expect(arm.calls).toEqual(['builtIn']);
});

it('serves an expired entry while it refreshes, then the new one', async () => {
  const { arm, cache, advance } = setup();
  await cache.builtIn();
  arm.version = 1;
  advance(1500);
  expect((await cache.builtIn())[0]!.roleName).toBe('builtin-0');
  await new Promise((r) => setImmediate(r));
  expect((await cache.builtIn())[0]!.roleName).toBe('builtin-1');
});

it('keeps serving the old list while ARM fails, within the stale window; then fails', async () => {
  const { arm, cache, advance, warnings } = setup();
  await cache.builtIn();
  arm.fail = true;
  advance(2000);
  expect((await cache.builtIn())[0]!.roleName).toBe('builtin-0');
  await new Promise((r) => setImmediate(r));
  expect(warnings.join()).toMatch(/Refreshing built-in role definitions failed/);
  advance(10_000);
  await expect(cache.builtIn()).rejects.toBeInstanceOf(TransientError);
});

it('custom roles are kept per scope, least recently used dropped first; a missing scope is not cached', async () => {
  const { arm, cache } = setup();
  await cache.customAt('/a');
  await cache.customAt('/b');
  await cache.customAt('/a');
  await cache.customAt('/c');
  await cache.customAt('/a');
  await cache.customAt('/b');
  expect(arm.calls.filter((c) => c.startsWith('custom:'))).toEqual(['custom:/a', 'custom:/b', 'custom:/c', 'custom:/b']);
  await expect(cache.customAt('/missing')).rejects.toBeInstanceOf(NotFoundError);
  await expect(cache.customAt('/missing')).rejects.toBeInstanceOf(NotFoundError);
  expect(arm.calls.filter((c) => c === 'custom:/missing')).toHaveLength(2);
});
