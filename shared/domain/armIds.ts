/**
 * ARM ids and scopes. ARM compares them case-insensitively and events may carry another
 * case than we stored, so every comparison and every key goes through `scopeKey`.
 */
import { createHash } from 'node:crypto';

/** ARM ids longer than this are refused: ARM itself stays far below, so longer is hostile. */
export const MAX_ARM_ID_LENGTH = 2048;

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isGuid(value: string): boolean {
  return GUID.test(value);
}

/** Object ids (GUIDs) compare case-insensitively: Entra, ARM and people write them in either case. */
export function sameId(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

/** Canonical spelling of a scope for display: one leading slash, no trailing or doubled slashes. */
export function normalizeScope(scope: string): string {
  const parts = scope.split('/').filter((p) => p.length > 0);
  return '/' + parts.join('/');
}

/** The comparison key of a scope or id: normalized and lower-cased. */
export function scopeKey(scope: string): string {
  return normalizeScope(scope).toLowerCase();
}

export function sameScope(a: string, b: string): boolean {
  return scopeKey(a) === scopeKey(b);
}

/**
 * True when `inner` is `outer` or lies under it. Compares whole path segments, so
 * `/resourceGroups/rg-weights2` is not under `/resourceGroups/rg-weights`.
 */
export function isWithinScope(inner: string, outer: string): boolean {
  const i = scopeKey(inner);
  const o = scopeKey(outer);
  if (o === '/') return true;
  return i === o || i.startsWith(o + '/');
}

/** Number of path segments: a deeper scope is more specific. */
export function scopeDepth(scope: string): number {
  return scopeKey(scope).split('/').filter((p) => p.length > 0).length;
}

const MANAGEMENT_GROUP = /^\/providers\/microsoft\.management\/managementgroups\/([^/]+)$/;

/** True for a management group scope, `/providers/Microsoft.Management/managementGroups/{name}`. */
export function isManagementGroupScope(scope: string): boolean {
  return MANAGEMENT_GROUP.test(scopeKey(scope));
}

/** Subscription id from any scope under a subscription, lower-cased; undefined above one. */
export function subscriptionOf(scope: string): string | undefined {
  const m = /^\/subscriptions\/([^/]+)/.exec(scopeKey(scope));
  return m?.[1];
}

const ROLE_ASSIGNMENT = /^(.*)\/providers\/Microsoft\.Authorization\/roleAssignments\/([^/]+)$/i;

export interface RoleAssignmentRef {
  /** The scope the assignment sits at, normalized (original case kept). */
  scope: string;
  /** The assignment name (a GUID). */
  name: string;
  /** The full id, normalized. */
  id: string;
}

/** Parses `{scope}/providers/Microsoft.Authorization/roleAssignments/{name}`; undefined when it is not one. */
export function parseRoleAssignmentId(id: string): RoleAssignmentRef | undefined {
  const normalized = normalizeScope(id);
  const m = ROLE_ASSIGNMENT.exec(normalized);
  if (!m || !m[2]) return undefined;
  const scope = m[1] === '' ? '/' : (m[1] ?? '/');
  return { scope, name: m[2], id: normalized };
}

export function roleAssignmentId(scope: string, name: string): string {
  const s = normalizeScope(scope);
  return `${s === '/' ? '' : s}/providers/Microsoft.Authorization/roleAssignments/${name}`;
}

const ROLE_DEFINITION = /\/providers\/Microsoft\.Authorization\/roleDefinitions\/([0-9a-f-]{36})$/i;

/** The GUID of a role definition id (full id at any scope, or a bare GUID), lower-cased. */
export function roleDefinitionGuid(idOrGuid: string): string | undefined {
  if (isGuid(idOrGuid)) return idOrGuid.toLowerCase();
  return ROLE_DEFINITION.exec(normalizeScope(idOrGuid))?.[1]?.toLowerCase();
}

/** Role definition id at subscription scope, the form ARM answers with for built-in roles. */
export function roleDefinitionId(subscriptionId: string, guid: string): string {
  return `/subscriptions/${subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${guid.toLowerCase()}`;
}

/**
 * A name-based (v5-style) GUID: the same input always gives the same GUID. Used for
 * deterministic ids such as a grant's role assignment name, so a retry converges.
 */
export function deterministicGuid(...parts: string[]): string {
  const h = createHash('sha256').update(parts.join('\u0000')).digest();
  h[6] = ((h[6] ?? 0) & 0x0f) | 0x50;
  h[8] = ((h[8] ?? 0) & 0x3f) | 0x80;
  const hex = h.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

// eslint-disable-next-line no-control-regex -- control characters are exactly what this refuses
const SEGMENT_FORBIDDEN = /[?#%\\\s\u0000-\u001f\u007f]/;
const RESOURCE_GROUP_NAME = /^[-\w.()]{1,90}$/;
const PROVIDER_NAMESPACE = /^[A-Za-z][A-Za-z0-9]*(\.[A-Za-z][A-Za-z0-9]*)+$/;
const RESOURCE_TYPE = /^[A-Za-z][A-Za-z0-9]{0,99}$/;

/**
 * Why `scope` is not a plain ARM scope of the form
 * `/subscriptions/{guid}[/resourceGroups/{name}[/providers/{namespace}/{type}/{name}[/{type}/{name}]...]]`,
 * or undefined when it is. A scope that HTTP clients or ARM could read differently from us
 * (`..`, encoded characters, query or fragment marks) is refused: the policy that governs a
 * scope must be the policy that governs where the assignment really lands.
 */
export function armScopeProblem(scope: string): string | undefined {
  if (scope.length > 1000) return 'it is longer than 1000 characters';
  if (!scope.startsWith('/')) return 'it must start with /subscriptions/<subscription id>';
  // Doubled or trailing slashes are harmless: the scope is normalized before ARM sees it.
  const segments = scope.split('/').filter((s) => s !== '');
  if (segments.some((s) => s === '.' || s === '..')) return 'it has a . or .. segment';
  if (segments.some((s) => SEGMENT_FORBIDDEN.test(s))) return 'it has a space, control character or one of ? # % \\';
  if (segments[0]?.toLowerCase() !== 'subscriptions' || !isGuid(segments[1] ?? '')) return 'it must start with /subscriptions/<subscription id>';
  if (segments.length === 2) return undefined;
  if (segments[2]?.toLowerCase() !== 'resourcegroups' || !RESOURCE_GROUP_NAME.test(segments[3] ?? '') || (segments[3] ?? '').endsWith('.')) {
    return 'after the subscription comes /resourceGroups/<name>';
  }
  if (segments.length === 4) return undefined;
  if (segments[4]?.toLowerCase() !== 'providers' || !PROVIDER_NAMESPACE.test(segments[5] ?? '')) return 'after the resource group comes /providers/<namespace>/<type>/<name>';
  if (segments[5]?.toLowerCase() === 'microsoft.authorization') return 'a scope cannot be inside Microsoft.Authorization';
  const rest = segments.slice(6);
  if (rest.length === 0 || rest.length % 2 !== 0) return 'a resource scope needs /<type>/<name> pairs after the namespace';
  for (let i = 0; i < rest.length; i += 2) {
    if (!RESOURCE_TYPE.test(rest[i] ?? '')) return `"${rest[i]}" is not a resource type`;
  }
  return undefined;
}

/**
 * Checks that `raw` is an ARM resource id or scope (`/subscriptions/{guid}[/resourceGroups/{rg}]`
 * or `/providers/...`, then `providers/{Namespace}/{type}/{name}[/{type}/{name}...]` groups) and
 * returns it normalized; undefined when it is not one. Length and characters are checked by the
 * caller. Looser than armScopeProblem (request scopes): events also name management groups, the
 * tenant root and resources with inner spaces in their names.
 */
export function normalizeArmId(raw: string): string | undefined {
  if (!raw.startsWith('/')) return undefined;
  const normalized = normalizeScope(raw);
  const segments = normalized.split('/').slice(1);
  if (segments.length === 0 || segments[0] === undefined || segments[0] === '') return undefined;
  for (const segment of segments) {
    // Inner spaces occur in real names (metric alerts); edge whitespace, `?`, `#` and dot
    // segments do not, and would let one id masquerade as another.
    if (segment === '.' || segment === '..' || /[?#]/.test(segment) || segment !== segment.trim()) return undefined;
  }
  const is = (i: number, word: string): boolean => segments[i]?.toLowerCase() === word;
  let i = 0;
  if (is(0, 'subscriptions')) {
    if (!isGuid(segments[1] ?? '')) return undefined;
    i = 2;
    if (is(i, 'resourcegroups')) {
      if (segments[i + 1] === undefined) return undefined;
      i += 2;
    }
  } else if (!is(0, 'providers')) {
    return undefined;
  }
  while (i < segments.length) {
    // Each extension starts with `providers/{Namespace}` and names at least one {type}/{name} pair.
    if (!is(i, 'providers') || !(segments[i + 1] ?? '').includes('.')) return undefined;
    i += 2;
    let pairs = 0;
    while (i < segments.length && !is(i, 'providers')) {
      if (segments[i + 1] === undefined) return undefined;
      i += 2;
      pairs++;
    }
    if (pairs === 0) return undefined;
  }
  return normalized;
}
