/** Operation names, wildcard patterns and scopes, by table. */
import { operationShape, patternMatches, weightClassOf } from '../../shared/domain/suggestions/operations';
import { appliesAt, parentScope, scopeShape, widenFor } from '../../shared/domain/suggestions/scopeShape';

const RG = '/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-weights';
const ACCOUNT = `${RG}/providers/Microsoft.Storage/storageAccounts/stweights`;
const CONTAINER = `${ACCOUNT}/blobServices/default/containers/checkpoints`;

it.each([
  ['Microsoft.Storage/*/read', 'Microsoft.Storage/storageAccounts/blobServices/containers/read', true],
  ['Microsoft.Storage/*/read', 'Microsoft.Storage/storageAccounts/write', false],
  ['*', 'Microsoft.Compute/virtualMachines/start/action', true],
  ['Microsoft.KeyVault/vaults/*/read', 'microsoft.keyvault/VAULTS/secrets/read', true],
  ['Microsoft.Storage/storageAccounts/*', 'Microsoft.Storage/storageAccountsX/write', false],
  ['Microsoft.Storage/storageAccounts/read', 'Microsoft.Storage/storageAccounts/READ', true],
])('%s matches %s: %s', (pattern, op, expected) => {
  expect(patternMatches(pattern, op)).toBe(expected);
});

it.each([
  ['Microsoft.Storage/storageAccounts/blobServices/generateUserDelegationKey/action', ['storageaccounts', 'blobservices'], 'generateuserdelegationkey/action'],
  ['Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read', ['storageaccounts', 'blobservices', 'containers', 'blobs'], 'read'],
  ['Microsoft.Storage/register/action', [], 'register/action'],
])('%s acts on %j with %s', (name, types, verb) => {
  expect(operationShape(name)).toEqual({ provider: 'microsoft.storage', types, verb });
});

it.each([
  [{ name: 'Microsoft.Storage/storageAccounts/listKeys/action', isDataAction: false }, 'access'],
  [{ name: 'Microsoft.Authorization/roleAssignments/write', isDataAction: false }, 'access'],
  [{ name: 'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read', isDataAction: true }, 'data'],
  [{ name: 'Microsoft.Storage/storageAccounts/write', isDataAction: false }, 'write'],
  [{ name: 'Microsoft.Storage/storageAccounts/read', isDataAction: false }, 'read'],
] as const)('%j weighs as %s', (op, weight) => {
  expect(weightClassOf(op)).toBe(weight);
});

it.each([
  ['Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read', CONTAINER, true],
  ['Microsoft.Storage/storageAccounts/read', CONTAINER, false],
  ['Microsoft.Storage/storageAccounts/blobServices/generateUserDelegationKey/action', CONTAINER, false],
  ['Microsoft.Storage/storageAccounts/blobServices/generateUserDelegationKey/action', ACCOUNT, true],
  ['Microsoft.Insights/diagnosticSettings/write', CONTAINER, true],
  ['Microsoft.Compute/virtualMachines/start/action', ACCOUNT, false],
  ['Microsoft.Compute/virtualMachines/start/action', RG, true],
])('%s applies at %s: %s', (op, scope, expected) => {
  expect(appliesAt(operationShape(op)!, scopeShape(scope))).toBe(expected);
});

it('parents go container -> blob service -> account -> group -> subscription -> root', () => {
  const chain: string[] = [];
  for (let s: string | undefined = CONTAINER; s !== undefined; s = parentScope(s)) chain.push(s);
  expect(chain).toEqual([CONTAINER, `${ACCOUNT}/blobServices/default`, ACCOUNT, RG, '/subscriptions/00000000-0000-0000-0000-000000000001', '/']);
});

it('widens only as far as the operations need', () => {
  expect(widenFor(CONTAINER, [operationShape('Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read')!])).toBe(CONTAINER);
  expect(widenFor(CONTAINER, [operationShape('Microsoft.Storage/storageAccounts/read')!])).toBe(ACCOUNT);
  expect(widenFor(ACCOUNT, [operationShape('Microsoft.Compute/virtualMachines/read')!])).toBe(RG);
});
