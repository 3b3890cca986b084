/**
 * Azure operation names (`Microsoft.Storage/storageAccounts/listKeys/action`) and the wildcard
 * patterns role definitions grant them with. Matching ignores case, and `*` matches any run of
 * characters within and across segments (`Microsoft.Storage/*\/read`), as Azure RBAC does.
 */

export type OperationKind = 'action' | 'dataAction';

/** One operation a resource provider publishes (ARM's provider operations metadata). */
export interface KnownOperation {
  name: string;
  isDataAction: boolean;
}

/**
 * What an operation acts on: its provider, the resource type path below the provider, and the verb.
 * `Microsoft.Storage/storageAccounts/blobServices/generateUserDelegationKey/action` acts on
 * `storageAccounts/blobServices` with verb `generateUserDelegationKey/action`.
 */
export interface OperationShape {
  provider: string;
  /** Resource type segments, lower-cased; empty for provider-level operations (`register/action`). */
  types: string[];
  /** `read`, `write`, `delete`, or `<name>/action`, lower-cased. */
  verb: string;
}

export function hasWildcard(text: string): boolean {
  return text.includes('*');
}

/** The shape of a concrete operation name; undefined for patterns and names without a provider and verb. */
export function operationShape(name: string): OperationShape | undefined {
  if (hasWildcard(name)) return undefined;
  const segments = name.split('/').filter((s) => s.length > 0);
  if (segments.length < 2) return undefined;
  const provider = segments[0]!.toLowerCase();
  const rest = segments.slice(1).map((s) => s.toLowerCase());
  if (rest[rest.length - 1] === 'action' && rest.length >= 2) {
    return { provider, types: rest.slice(0, -2), verb: `${rest[rest.length - 2]}/action` };
  }
  return { provider, types: rest.slice(0, -1), verb: rest[rest.length - 1]! };
}

const compiled = new Map<string, RegExp>();

/** True when `pattern` (a role's action or data action, possibly with `*`) grants `operation`. */
export function patternMatches(pattern: string, operation: string): boolean {
  if (!hasWildcard(pattern)) return pattern.toLowerCase() === operation.toLowerCase();
  let re = compiled.get(pattern);
  if (!re) {
    const source = pattern
      .split('*')
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*');
    re = new RegExp(`^${source}$`, 'i');
    compiled.set(pattern, re);
  }
  return re.test(operation);
}

/** The lower-cased text before the first `*`: every operation a pattern matches starts with it. */
export function literalPrefix(pattern: string): string {
  const star = pattern.indexOf('*');
  return (star < 0 ? pattern : pattern.slice(0, star)).toLowerCase();
}

/** How heavily an extra operation weighs when roles are compared (see ./engine.ts). */
export type WeightClass = 'data' | 'access' | 'write' | 'read';

/**
 * Control-plane actions that hand out data access or more rights: account keys and SAS, user
 * delegation keys, credentials, vault access policies, role assignments, commands run on a machine.
 * They weigh like data actions, because whoever holds them can read the data.
 */
const ACCESS_GRANTING = [
  /\/(listkeys|listaccountsas|listservicesas|regeneratekey|generateuserdelegationkey|listcredentials?|listclusteradmincredential|listclusterusercredential|listclustermonitoringusercredential|listadmincredentials|listconnectionstrings|listsecrets|getsecrets?|runcommand)\/action$/i,
  /^microsoft\.keyvault\/vaults\/accesspolicies\/write$/i,
  /^microsoft\.authorization\/(roleassignments|roledefinitions|elevateaccess)\/(write|action)$/i,
  /^microsoft\.authorization\/elevateaccess\/action$/i,
  /^microsoft\.compute\/virtualmachines\/runcommands\/write$/i,
];

export function weightClassOf(op: KnownOperation): WeightClass {
  if (op.isDataAction) return 'data';
  if (ACCESS_GRANTING.some((re) => re.test(op.name))) return 'access';
  const shape = operationShape(op.name);
  return shape?.verb === 'read' ? 'read' : 'write';
}

/**
 * What an approver should know about a permission a role grants beyond the need, by the
 * operation (or pattern) it names. Checked against the lower-cased permission.
 */
const PERMISSION_NOTES: ReadonlyArray<readonly [RegExp, string]> = [
  [/generateuserdelegationkey\/action$/, 'can get user-delegation keys and so mint SAS tokens for the blobs it can read (valid until they expire, up to 7 days)'],
  [/\/listkeys\/action$|\/regeneratekey\/action$/, 'reads or rotates account keys: full data access that no role revocation ends'],
  [/\/list(account|service)sas\/action$/, 'mints SAS tokens signed with the account key'],
  [/^microsoft\.authorization\/\*$|^microsoft\.authorization\/roleassignments\/write$/, 'can assign roles: can give itself or anyone else more access'],
  [/^\*$/, 'every control-plane action at the scope'],
  [/^\*\/read$/, 'reads the configuration of every resource at the scope'],
  [/^microsoft\.keyvault\/vaults\/secrets\/getsecret\/action$/, 'reads secret values'],
  [/^microsoft\.keyvault\/vaults\/\*$/, 'every data operation on the vault, secrets, keys and certificates included'],
  [/\/containers\/blobs\/(write|add\/action|delete|move\/action|\*)$/, 'changes or deletes blobs'],
];

export function permissionNote(permission: string): string | undefined {
  const lower = permission.toLowerCase();
  return PERMISSION_NOTES.find(([re]) => re.test(lower))?.[1];
}
