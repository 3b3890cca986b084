/**
 * The narrowest-role engine: given the operations a person needs and where, the roles that
 * surely grant all of them there, narrowest first, each with what else it grants.
 *
 * Ranking rule. A role qualifies when it can be assigned at the scope and a condition-free
 * permission block grants every needed operation there. Among those, a role that grants nothing
 * else (every permission it lists is one of the needed operations) comes first. The rest are
 * ordered by what else they grant at the scope, counted over the known operations an assignment
 * there can reach, in three tiers compared in order: (1) data actions and the control-plane
 * actions that hand out data access (keys, SAS, user-delegation keys, credentials, vault access
 * policies, role assignments, run-command), (2) other writes, deletes and actions, (3) reads. A
 * role with one more tier-1 operation is broader than one with any number of extra writes or reads.
 * Ties go to the role with fewer wildcard patterns, then by name. The scope is the one asked for,
 * widened only as far as an operation needs (an operation on a storage account cannot be granted
 * at one of its containers).
 */
import { countAndAndNot, emptySet, intersects, setBit, type BitSet } from './bitset';
import type { CompiledRole, GrantedPattern, RoleCatalog } from './catalog';
import { hasWildcard, type OperationKind, type OperationShape } from './operations';
import { assignableAt, type RoleDefinition } from './roleDefinition';
import { appliesAt, scopeShape, widenFor, type ScopeShape } from './scopeShape';

export interface Need {
  actions: readonly string[];
  dataActions: readonly string[];
}

export interface NeedProblem {
  name: string;
  kind: OperationKind;
  problem: 'unknown' | 'wildcard' | 'wrongKind';
  /** Known names close to it (for `unknown`), or the name itself under the other kind (for `wrongKind`). */
  nearest: string[];
}

export type CheckedNeed = { ok: true; need: Need } | { ok: false; problems: NeedProblem[] };

/** Every needed name must be a known operation of its kind; returns them in their published spelling, without duplicates. */
export function checkNeed(catalog: RoleCatalog, need: Need): CheckedNeed {
  const ops = catalog.operations;
  const problems: NeedProblem[] = [];
  const out: Record<OperationKind, string[]> = { action: [], dataAction: [] };
  const lists: ReadonlyArray<readonly [OperationKind, readonly string[]]> = [
    ['action', need.actions],
    ['dataAction', need.dataActions],
  ];
  for (const [kind, names] of lists) {
    for (const raw of names) {
      const name = raw.trim();
      if (hasWildcard(name)) {
        problems.push({ name, kind, problem: 'wildcard', nearest: [] });
        continue;
      }
      const index = ops.find(name, kind);
      if (index !== undefined) {
        const canonical = ops.names[index]!;
        if (!out[kind].includes(canonical)) out[kind].push(canonical);
        continue;
      }
      const other: OperationKind = kind === 'action' ? 'dataAction' : 'action';
      const asOther = ops.find(name, other);
      if (asOther !== undefined) problems.push({ name, kind, problem: 'wrongKind', nearest: [ops.names[asOther]!] });
      else problems.push({ name, kind, problem: 'unknown', nearest: ops.nearest(name, kind) });
    }
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, need: { actions: out.action, dataActions: out.dataAction } };
}

/** One line per problem, for an error message a person can act on. */
export function describeNeedProblems(problems: readonly NeedProblem[]): string {
  return problems
    .map((p) => {
      const list = p.kind === 'action' ? 'actions' : 'dataActions';
      switch (p.problem) {
        case 'wildcard':
          return `"${p.name}" in ${list} has a wildcard: name the concrete operations you need`;
        case 'wrongKind':
          return `"${p.name}" is a ${p.kind === 'action' ? 'data action' : 'control-plane action'}: send it in ${p.kind === 'action' ? 'dataActions' : 'actions'}`;
        case 'unknown':
          return `"${p.name}" in ${list} is not a known operation${p.nearest.length ? `; did you mean ${p.nearest.map((n) => `"${n}"`).join(' or ')}?` : ''}`;
      }
    })
    .join('; ');
}

/** What a role grants beyond the need at the scope, counted over known operations, by tier. */
export interface Breadth {
  /** Extra data actions. */
  dataActions: number;
  /** Extra control-plane actions that hand out data access or rights (keys, SAS, role assignments, ...). */
  accessActions: number;
  /** Extra other writes, deletes and actions. */
  writeActions: number;
  /** Extra reads. */
  readActions: number;
}

export interface ExtraPermission {
  kind: OperationKind;
  /** The permission as the role lists it (a name or a pattern). */
  permission: string;
  /** What the role's NotActions / NotDataActions take out of a pattern. */
  except?: string[];
  /** False when an assignment at the scope cannot use it (it acts above the scope). */
  effective: boolean;
  /** Granted only under an ABAC condition. */
  conditional?: boolean;
  /** What an approver should know about it. */
  note?: string;
}

export interface RankedRole {
  definition: RoleDefinition;
  /** Grants exactly the needed operations and nothing else. */
  exact: boolean;
  breadth: Breadth;
  extra: ExtraPermission[];
}

export interface Ranking {
  /** Where the roles should be assigned: the scope asked for, widened only as far as the operations need. */
  scope: string;
  /** Set when the scope had to be widened. */
  widenedFrom?: string;
  /** How many roles cover the need there. */
  covering: number;
  /** Narrowest first (the first `limit` of them). */
  roles: RankedRole[];
}

interface Prepared {
  scope: string;
  shape: ScopeShape;
  widenedFrom?: string;
  needIndexes: number[];
  needMask: BitSet;
  needKeys: Set<string>;
  scopeMask: BitSet;
}

function prepare(catalog: RoleCatalog, need: Need, scope: string): Prepared {
  const ops = catalog.operations;
  const needIndexes: number[] = [];
  const needKeys = new Set<string>();
  const shapes: OperationShape[] = [];
  const add = (name: string, kind: OperationKind) => {
    const i = ops.find(name, kind);
    if (i === undefined) throw new Error(`engine: "${name}" (${kind}) is not in the catalog; check the need first (checkNeed)`);
    needIndexes.push(i);
    needKeys.add(`${kind}:${name.toLowerCase()}`);
    const shape = ops.shapes[i];
    if (shape) shapes.push(shape);
  };
  need.actions.forEach((n) => add(n, 'action'));
  need.dataActions.forEach((n) => add(n, 'dataAction'));
  const needMask = emptySet(ops.size);
  for (const i of needIndexes) setBit(needMask, i);
  const widened = widenFor(scope, shapes);
  const shape = scopeShape(widened);
  const scopeMask = ops.applicableAt(shape);
  return { scope: widened, shape, ...(widened.toLowerCase() !== scope.toLowerCase() ? { widenedFrom: scope } : {}), needIndexes, needMask, needKeys, scopeMask };
}

function breadthOf(catalog: RoleCatalog, role: CompiledRole, p: Prepared): Breadth {
  const m = catalog.operations.classMasks;
  return {
    dataActions: countAndAndNot(role.reach, p.scopeMask, m.data, p.needMask),
    accessActions: countAndAndNot(role.reach, p.scopeMask, m.access, p.needMask),
    writeActions: countAndAndNot(role.reach, p.scopeMask, m.write, p.needMask),
    readActions: countAndAndNot(role.reach, p.scopeMask, m.read, p.needMask),
  };
}

function isNeeded(g: GrantedPattern, p: Prepared): boolean {
  return !g.wildcard && p.needKeys.has(g.key);
}

function extraOf(role: CompiledRole, p: Prepared): ExtraPermission[] {
  const shape = p.shape;
  const out: ExtraPermission[] = [];
  for (const g of role.patterns) {
    if (isNeeded(g, p)) continue;
    // A pattern that matches no known operation may match unknown ones: count it as reaching the scope.
    const effective = g.wildcard ? !g.matches.some((w) => w !== 0) || intersects(g.matches, p.scopeMask) : g.shape === undefined || appliesAt(g.shape, shape);
    const note = g.note;
    out.push({
      kind: g.kind,
      permission: g.pattern,
      ...(g.except.length > 0 ? { except: g.except } : {}),
      effective,
      ...(g.conditional ? { conditional: true } : {}),
      ...(note ? { note } : {}),
    });
  }
  return out;
}

function tierKey(b: Breadth): [number, number, number] {
  return [b.dataActions + b.accessActions, b.writeActions, b.readActions];
}

/** Negative when `a` is narrower than `b` (the ranking rule above). */
export function compareRanked(a: Pick<RankedRole, 'exact' | 'breadth' | 'definition'> & { wildcards?: number }, b: Pick<RankedRole, 'exact' | 'breadth' | 'definition'> & { wildcards?: number }): number {
  if (a.exact !== b.exact) return a.exact ? -1 : 1;
  const ka = tierKey(a.breadth);
  const kb = tierKey(b.breadth);
  for (let i = 0; i < 3; i++) if (ka[i] !== kb[i]) return ka[i]! - kb[i]!;
  const wa = a.wildcards ?? 0;
  const wb = b.wildcards ?? 0;
  if (wa !== wb) return wa - wb;
  // Same reach: the plainer name first (Reader before a product's look-alike reader role).
  const na = a.definition.roleName;
  const nb = b.definition.roleName;
  return na.length - nb.length || na.localeCompare(nb, 'en');
}

/** True when `a` grants strictly more than `b` by the ranking rule (ties in breadth are not broader). */
export function isBroader(a: Pick<RankedRole, 'exact' | 'breadth'>, b: Pick<RankedRole, 'exact' | 'breadth'>): boolean {
  if (a.exact !== b.exact) return b.exact;
  const ka = tierKey(a.breadth);
  const kb = tierKey(b.breadth);
  for (let i = 0; i < 3; i++) if (ka[i] !== kb[i]) return ka[i]! > kb[i]!;
  return false;
}

interface Candidate {
  role: CompiledRole;
  definition: RoleDefinition;
  exact: boolean;
  breadth: Breadth;
  wildcards: number;
}

function candidate(catalog: RoleCatalog, role: CompiledRole, p: Prepared): Candidate {
  return { role, definition: role.definition, exact: role.patterns.every((g) => isNeeded(g, p)), breadth: breadthOf(catalog, role, p), wildcards: role.wildcards };
}

function covers(catalog: RoleCatalog, role: CompiledRole, p: Prepared): boolean {
  return assignableAt(role.definition, p.scope) && p.needIndexes.every((i) => catalog.surelyGrants(role, i));
}

/**
 * The roles that cover a checked need (see `checkNeed`) at `scope`, narrowest first; with `limit`,
 * only the first ones (their extra permissions are worked out only for those). An empty need is
 * refused: every role would "cover" it.
 */
export function rankRoles(catalog: RoleCatalog, need: Need, scope: string, limit = Number.POSITIVE_INFINITY): Ranking {
  if (need.actions.length + need.dataActions.length === 0) throw new Error('engine: an empty need has no narrowest role');
  const p = prepare(catalog, need, scope);
  const candidates: Candidate[] = [];
  for (const role of catalog.roles) if (covers(catalog, role, p)) candidates.push(candidate(catalog, role, p));
  candidates.sort(compareRanked);
  const roles = candidates.slice(0, limit).map((c) => ({ definition: c.definition, exact: c.exact, breadth: c.breadth, extra: extraOf(c.role, p) }));
  return { scope: p.scope, ...(p.widenedFrom ? { widenedFrom: p.widenedFrom } : {}), covering: candidates.length, roles };
}

export interface RoleAgainstNeed extends RankedRole {
  covers: boolean;
  /** Needed operations the role does not surely grant at the scope. */
  missing: Need;
}

/** How one role (e.g. the one a request names) measures against a checked need at `scope`. */
export function measureRole(catalog: RoleCatalog, role: CompiledRole, need: Need, scope: string): RoleAgainstNeed & { scope: string } {
  const p = prepare(catalog, need, scope);
  const assignable = assignableAt(role.definition, p.scope);
  const missing: Need = {
    actions: need.actions.filter((n) => !assignable || !catalog.surelyGrants(role, catalog.operations.find(n, 'action')!)),
    dataActions: need.dataActions.filter((n) => !assignable || !catalog.surelyGrants(role, catalog.operations.find(n, 'dataAction')!)),
  };
  const c = candidate(catalog, role, p);
  return { definition: c.definition, exact: c.exact, breadth: c.breadth, extra: extraOf(role, p), covers: missing.actions.length + missing.dataActions.length === 0, missing, scope: p.scope };
}
