/** Pure rules of the simulator, by table: action wildcards, $filter parsing, scope listing, paging, request targets, event times. */
import { randomUUID } from 'node:crypto';
import { actionMatches, roleAllows } from '../../dev/sim/arm/authorize';
import { listedAtScope, pageOfAssignments, parseAssignmentFilter, roleDefinitionGuidOfBody } from '../../dev/sim/arm/roleAssignmentRules';
import { resolveScope } from '../../dev/sim/arm/scopes';
import { toEventTime } from '../../dev/sim/events/armEvent';
import { splitTarget } from '../../dev/sim/http';
import { makeKnobs, SeededRandom } from '../../dev/sim/knobs';
import { SimState } from '../../dev/sim/state';
import { decodeSimToken, encodeSimToken, simClaimsFor } from '../../dev/sim/credential';
import { builtInSimRole } from '../../dev/sim/arm/roleCatalog';
import { PEOPLE, RG, SUBSCRIPTION_SCOPE } from '../../dev/tenant';

describe('actionMatches', () => {
  it.each([
    ['*', 'Microsoft.Authorization/roleAssignments/write', true],
    ['*/read', 'Microsoft.Authorization/roleAssignments/read', true],
    ['*/read', 'Microsoft.Authorization/roleAssignments/write', false],
    ['Microsoft.Authorization/*', 'Microsoft.Authorization/roleAssignments/delete', true],
    ['Microsoft.Authorization/*/Write', 'microsoft.authorization/roleassignments/write', true],
    ['Microsoft.Storage/storageAccounts/*', 'Microsoft.Storage/storageAccounts/write', true],
    ['Microsoft.Storage/storageAccounts/*', 'Microsoft.Storage/storageAccountsX/write', false],
    ['Microsoft.Authorization/roleAssignments/write', 'Microsoft.Authorization/roleAssignments/write', true],
  ])('%s vs %s -> %s', (pattern, action, expected) => {
    expect(actionMatches(pattern, action)).toBe(expected);
  });

  it.each([
    ['Owner', true],
    ['User Access Administrator', true],
    ['Role Based Access Control Administrator', true],
    ['Contributor', false],
    ['Reader', false],
    ['Storage Blob Data Owner', false],
  ])('%s may write role assignments: %s', (roleName, expected) => {
    expect(roleAllows(builtInSimRole(roleName)!, 'Microsoft.Authorization/roleAssignments/write')).toBe(expected);
  });
});

describe('parseAssignmentFilter', () => {
  it.each([
    [undefined, { atScopeOnly: false }],
    ['atScope()', { atScopeOnly: true }],
    ["principalId eq 'abc'", { atScopeOnly: false, principalId: 'abc' }],
    ["atScope() and assignedTo('x')", { atScopeOnly: true, assignedTo: 'x' }],
  ])('%s', (filter, expected) => {
    expect(parseAssignmentFilter(filter)).toEqual(expected);
  });

  it('refuses other filters with 400', () => {
    expect(() => parseAssignmentFilter("roleDefinitionId eq 'x'")).toThrow(expect.objectContaining({ status: 400, code: 'UnsupportedQuery' }));
  });
});

describe('listedAtScope', () => {
  const account = `${RG.weights}/providers/Microsoft.Storage/storageAccounts/stweights`;
  it.each([
    [SUBSCRIPTION_SCOPE, RG.weights, false, true],
    [account, RG.weights, false, true],
    [account, RG.weights, true, false],
    [RG.weights, RG.weights, true, true],
    [`${RG.weights}2`, RG.weights, false, false],
    [RG.research, RG.weights, false, false],
    [RG.weights.toUpperCase().replace('/SUBSCRIPTIONS', '/subscriptions'), RG.weights, true, true],
  ])('assignment at %s, listing %s (atScope %s) -> %s', (at, target, atScopeOnly, expected) => {
    expect(listedAtScope(at, target, atScopeOnly)).toBe(expected);
  });
});

describe('pageOfAssignments', () => {
  it('walks every item exactly once, in id order, even when items are added between pages', () => {
    const state = new SimState(false);
    for (let i = 0; i < 10; i++) state.seedAssignment({ scope: RG.sandbox, role: 'Reader', principalId: randomUUID() });
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = pageOfAssignments([...state.assignments.values()], 3, token);
      seen.push(...page.items.map((a) => a.id.toLowerCase()));
      token = page.nextToken;
      pages += 1;
    } while (token);
    expect(pages).toBe(4);
    expect(seen).toEqual([...seen].sort());
    expect(new Set(seen).size).toBe(10);
  });
});

describe('roleDefinitionGuidOfBody', () => {
  const guid = builtInSimRole('Reader')!.guid;
  it.each([`/subscriptions/x/providers/Microsoft.Authorization/roleDefinitions/${guid}`, `/providers/microsoft.authorization/roleDefinitions/${guid.toUpperCase()}`])('accepts %s', (id) => {
    expect(roleDefinitionGuidOfBody(id)).toBe(guid);
  });
  it.each([guid, '/subscriptions/x/providers/Microsoft.Authorization/roleDefinitions/reader'])('refuses %s', (id) => {
    expect(() => roleDefinitionGuidOfBody(id)).toThrow(expect.objectContaining({ code: 'InvalidRoleDefinitionId' }));
  });
});

describe('resolveScope', () => {
  const state = new SimState();
  it.each([
    [SUBSCRIPTION_SCOPE, 'subscription'],
    [RG.research.toUpperCase().replace('/SUBSCRIPTIONS', '/subscriptions'), 'resourceGroup'],
    [`${RG.research}/providers/Microsoft.KeyVault/vaults/kv-research`, 'resource'],
    [`${RG.research}/providers/Microsoft.KeyVault/vaults/kv-research/secrets/db-password`, 'resource'],
  ])('%s is a %s', (scope, kind) => {
    expect(resolveScope(state, scope)).toBe(kind);
  });
  it.each([
    ['/subscriptions/00000000-0000-0000-0000-000000000999', 404, 'SubscriptionNotFound'],
    [`${SUBSCRIPTION_SCOPE}/resourceGroups/rg-weights2`, 404, 'ResourceGroupNotFound'],
    [`${RG.weights}/providers/Microsoft.Storage/storageAccounts/stweights/blobServices/default/containers/nope`, 404, 'ResourceNotFound'],
    ['/', 400, 'InvalidScope'],
  ])('%s -> %s %s', (scope, status, code) => {
    expect(() => resolveScope(state, scope)).toThrow(expect.objectContaining({ status, code }));
  });
});

describe('splitTarget', () => {
  it.each([
    ['//subscriptions/x/providers/A?api-version=1', '/subscriptions/x/providers/A', 'api-version=1'],
    ['/v1.0/users/alice%40contoso.test', '/v1.0/users/alice@contoso.test', ''],
    ['///a//b/', '/a/b', ''],
    ['/', '/', ''],
  ])('%s', (raw, path, query) => {
    const t = splitTarget(raw);
    expect(t.path).toBe(path);
    expect(t.query.toString()).toBe(query);
  });
});

describe('events and tokens', () => {
  it('writes event times with seven fractional digits', () => {
    expect(toEventTime(new Date('2026-11-20T10:02:03.123Z'))).toBe('2026-11-20T10:02:03.1230000Z');
  });

  it('round-trips a token and refuses garbage', () => {
    const claims = simClaimsFor(PEOPLE.alice);
    expect(decodeSimToken(encodeSimToken(claims))).toMatchObject({ oid: PEOPLE.alice, upn: 'alice@contoso.test' });
    expect(decodeSimToken('garbage')).toBeUndefined();
    expect(decodeSimToken(`${Buffer.from('{}').toString('base64url')}.${Buffer.from('{"sub":"x"}').toString('base64url')}.`)).toBeUndefined();
  });

  it('repeats the same random sequence whenever the seed is assigned', () => {
    const knobs = makeKnobs({ seed: 9 });
    const random = new SeededRandom(knobs);
    const first = [random.next(), random.next()];
    knobs.seed = 9;
    expect([random.next(), random.next()]).toEqual(first);
  });
});
