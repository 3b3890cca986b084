/** ARM ids and scopes: case-insensitive, segment-safe, and strict about what a scope may look like. */
import { armScopeProblem, deterministicGuid, isWithinScope, normalizeArmId, normalizeScope, parseRoleAssignmentId, roleDefinitionGuid, sameScope } from '../../shared/domain/armIds';

const SUB = '/subscriptions/00000000-0000-0000-0000-000000000001';

describe('armScopeProblem', () => {
  test.each([
    SUB,
    `${SUB}/`,
    `${SUB}/resourceGroups/rg-weights`,
    `${SUB}//resourceGroups/rg-weights/`,
    `${SUB.toUpperCase()}/RESOURCEGROUPS/RG-Weights`,
    `${SUB}/resourceGroups/rg_(x).y/providers/Microsoft.Storage/storageAccounts/stweights`,
    `${SUB}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/st/blobServices/default/containers/checkpoints`,
  ])('accepts %s', (scope) => {
    expect(armScopeProblem(scope)).toBeUndefined();
  });

  test.each([
    ['', /start with/],
    ['subscriptions/00000000-0000-0000-0000-000000000001', /start with/],
    ['/subscriptions/not-a-guid', /start with/],
    [`${SUB}/resourceGroups/rg-sandbox/../rg-weights`, /\.\./],
    [`${SUB}/resourceGroups/./rg-weights`, /\. or \.\./],
    [`${SUB}/resourceGroups/rg-weights%2F..%2Frg-x`, /%/],
    [`${SUB}/resourceGroups/rg-weights?x=1`, /\?/],
    [`${SUB}/resourceGroups/rg-weights#frag`, /#/],
    [`${SUB}/resourceGroups/rg weights`, /space/],
    [`${SUB}/resourceGroups/rg\u0000x`, /control/],
    [`${SUB}/resourceGroups`, /resourceGroups\/<name>/],
    [`${SUB}/resourceGroups/rg.`, /resourceGroups\/<name>/],
    [`${SUB}/locations/westus`, /resourceGroups\/<name>/],
    [`${SUB}/resourceGroups/rg/providers/Microsoft.Storage`, /pairs/],
    [`${SUB}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts`, /pairs/],
    [`${SUB}/resourceGroups/rg/providers/Microsoft.Authorization/roleAssignments/x`, /Microsoft.Authorization/],
    [`${SUB}/resourceGroups/rg/providers/nonamespace/type/name`, /providers/],
    [`${SUB}/resourceGroups/rg/${'x'.repeat(1000)}`, /longer than 1000/],
  ])('refuses %s', (scope, reason) => {
    expect(armScopeProblem(scope)).toMatch(reason);
  });
});

describe('scope comparison', () => {
  test.each([
    [`${SUB}/resourceGroups/rg-weights/providers/Microsoft.Storage/storageAccounts/stweights`, `${SUB}/resourceGroups/rg-weights`, true],
    [`${SUB}/resourceGroups/RG-WEIGHTS`, `${SUB}/resourceGroups/rg-weights`, true],
    [`${SUB}/resourceGroups/rg-weights2`, `${SUB}/resourceGroups/rg-weights`, false],
    [`${SUB}/resourceGroups/rg-weights`, `${SUB}/resourceGroups/rg-weights2`, false],
    [SUB, `${SUB}/resourceGroups/rg-weights`, false],
    [`${SUB}/resourceGroups/rg-weights`, '/', true],
  ])('isWithinScope(%s, %s) = %s', (inner, outer, expected) => {
    expect(isWithinScope(inner, outer)).toBe(expected);
  });

  test('normalization and case-insensitive equality', () => {
    expect(normalizeScope(`//${SUB.slice(1)}//resourceGroups/rg/`)).toBe(`${SUB}/resourceGroups/rg`);
    expect(sameScope(`${SUB}/resourceGroups/RG`, `${SUB.toUpperCase()}/resourcegroups/rg/`)).toBe(true);
  });
});

describe('ids', () => {
  test('role assignment ids parse at any scope, double slashes included', () => {
    expect(parseRoleAssignmentId(`/${SUB}/resourceGroups/rg/providers/Microsoft.Authorization/roleAssignments/5f0d7a3e-2c11-4b8e-9a57-0c6f3e9b1d24`)).toEqual({
      scope: `${SUB}/resourceGroups/rg`,
      name: '5f0d7a3e-2c11-4b8e-9a57-0c6f3e9b1d24',
      id: `${SUB}/resourceGroups/rg/providers/Microsoft.Authorization/roleAssignments/5f0d7a3e-2c11-4b8e-9a57-0c6f3e9b1d24`,
    });
    expect(parseRoleAssignmentId(`${SUB}/resourceGroups/rg`)).toBeUndefined();
  });

  test('role definition GUIDs from names, ids and GUIDs of any case', () => {
    expect(roleDefinitionGuid('2A2B9908-6EA1-4AE2-8E65-A410DF84E7D1')).toBe('2a2b9908-6ea1-4ae2-8e65-a410df84e7d1');
    expect(roleDefinitionGuid(`${SUB}/providers/Microsoft.Authorization/roleDefinitions/2a2b9908-6ea1-4ae2-8e65-a410df84e7d1`)).toBe('2a2b9908-6ea1-4ae2-8e65-a410df84e7d1');
    expect(roleDefinitionGuid('Reader')).toBeUndefined();
  });

  test('deterministic GUIDs are stable, distinct and well-formed', () => {
    const a = deterministicGuid('grant', 'r1');
    expect(deterministicGuid('grant', 'r1')).toBe(a);
    expect(deterministicGuid('grant', 'r2')).not.toBe(a);
    expect(deterministicGuid('gran', 'tr1')).not.toBe(a);
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});

describe('normalizeArmId (the looser grammar of ids in events)', () => {
  const GUID = '00000000-0000-0000-0000-000000000001';
  const NAME = '5f0d7a3e-2c11-4b8e-9a57-0c6f3e9b1d24';
  test.each([
    [`/subscriptions/${GUID}`, true],
    [`/subscriptions/${GUID}/resourceGroups/rg`, true],
    [`/subscriptions/${GUID}/resourceGroups`, false],
    [`/subscriptions/${GUID}/resourcegroups/rg/providers/Microsoft.Storage/storageAccounts/st/blobServices/default`, true],
    [`/subscriptions/${GUID}/resourcegroups/rg/providers/Microsoft.Storage/storageAccounts/st/blobServices`, false],
    [`/subscriptions/${GUID}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/st/providers/Microsoft.Authorization/roleAssignments/${NAME}`, true],
    ['/providers/Microsoft.Management/managementGroups/mg', true],
    ['/providers', false],
    ['/', false],
    ['', false],
    ['/tenants/x', false],
    [`/subscriptions/${GUID}/resourceGroups/rg /providers/Microsoft.Insights/metricAlerts/x`, false],
    [`/subscriptions/${GUID}/resourceGroups/rg/providers/Microsoft.Insights/metricAlerts/High CPU`, true],
    [`/subscriptions/${GUID}/resourceGroups/rg/providers/Microsoft.Insights/metricAlerts/a#b`, false],
  ])('normalizeArmId(%s) is an id: %s', (raw, ok) => {
    expect(normalizeArmId(raw) !== undefined).toBe(ok);
  });
});
