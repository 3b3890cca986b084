/** RBAC permission evaluation: what AccessManager lacks, and which roles are privileged (judged from their actions). */
import { isPrivilegedRole, missingActions, permissionsAllow } from '../../shared/domain/permissions';
import { BUILT_IN_ROLES, findBuiltInRole } from '../../shared/domain/roles';

describe('isPrivilegedRole', () => {
  test.each([
    ['Owner', true],
    ['User Access Administrator', true],
    ['Role Based Access Control Administrator', true],
    ['Contributor', false],
    ['Reader', false],
    ['Storage Blob Data Owner', false],
    ['Key Vault Administrator', false],
    ['Storage Account Contributor', false],
  ])('%s: %s', (name, privileged) => {
    expect(isPrivilegedRole(findBuiltInRole(name)!)).toBe(privileged);
  });

  test.each<[string, { actions: string[]; notActions: string[] }, boolean]>([
    ['a custom copy of Owner under another name and GUID', { actions: ['*'], notActions: [] }, true],
    ['any Microsoft.Authorization write, wildcard', { actions: ['Microsoft.Authorization/*/write'], notActions: [] }, true],
    ['role assignments, all operations', { actions: ['Microsoft.Authorization/roleAssignments/*'], notActions: [] }, true],
    ['role definitions only', { actions: ['microsoft.authorization/roledefinitions/write'], notActions: [] }, true],
    ['elevateAccess', { actions: ['Microsoft.Authorization/elevateAccess/Action'], notActions: [] }, true],
    ['locks (changes what may be deleted)', { actions: ['Microsoft.Authorization/locks/*'], notActions: [] }, true],
    ['everything but Authorization writes (Contributor-like)', { actions: ['*'], notActions: ['Microsoft.Authorization/*/Write', 'Microsoft.Authorization/*/Delete', 'Microsoft.Authorization/elevateAccess/Action'] }, false],
    ['reading assignments', { actions: ['Microsoft.Authorization/*/read'], notActions: [] }, false],
    ['blob data only', { actions: ['Microsoft.Storage/storageAccounts/blobServices/containers/read'], notActions: [] }, false],
  ])('custom: %s -> %s', (_label, permissions, privileged) => {
    expect(isPrivilegedRole({ guid: '11111111-2222-4333-8444-555555555555', permissions: { ...permissions, dataActions: [], notDataActions: [] } })).toBe(privileged);
  });

  test('every built-in role that can write role assignments is privileged', () => {
    for (const role of BUILT_IN_ROLES) {
      if (permissionsAllow([role.permissions], 'Microsoft.Authorization/roleAssignments/write')) expect(isPrivilegedRole(role)).toBe(true);
    }
  });
});

describe('missingActions (what the permissions API answer lacks)', () => {
  test('nothing answered is everything missing: an empty list is not "ok"', () => {
    expect(missingActions([])).toEqual(['Microsoft.Authorization/roleAssignments/read', 'Microsoft.Authorization/roleAssignments/write', 'Microsoft.Authorization/roleAssignments/delete']);
  });
  test.each([
    ['User Access Administrator', []],
    ['Role Based Access Control Administrator', []],
    ['Owner', []],
    ['Contributor', ['Microsoft.Authorization/roleAssignments/write', 'Microsoft.Authorization/roleAssignments/delete']],
    ['Reader', ['Microsoft.Authorization/roleAssignments/write', 'Microsoft.Authorization/roleAssignments/delete']],
  ])('holding %s', (name, missing) => {
    expect(missingActions([findBuiltInRole(name)!.permissions])).toEqual(missing);
  });
  test('permissions add up across roles', () => {
    expect(missingActions([findBuiltInRole('Reader')!.permissions, { actions: ['Microsoft.Authorization/roleAssignments/*'], notActions: [] }])).toEqual([]);
  });
});
