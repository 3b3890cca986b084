/**
 * The role catalog, prepared once for fast questions: every known operation gets an index, and
 * every role a bit set of the operations it grants (Actions − NotActions and DataActions −
 * NotDataActions of each permission block, united over blocks). Building costs a pattern match
 * per (pattern, operation sharing its literal prefix); a suggestion then costs a few word
 * operations per role. Pure: the definitions and operations come from ARM through a port.
 */
import { closest, distance } from 'fastest-levenshtein';
import { andNotInto, emptySet, hasBit, orInto, setBit, type BitSet } from './bitset';
import { hasWildcard, literalPrefix, operationShape, patternMatches, permissionNote, weightClassOf, type KnownOperation, type OperationKind, type OperationShape, type WeightClass } from './operations';
import type { PermissionBlock, RoleDefinition } from './roleDefinition';
import { appliesAt, type ScopeShape } from './scopeShape';

const KINDS: readonly OperationKind[] = ['action', 'dataAction'];

/** Every known operation, one entry per (name, kind); a name can be both (Key Vault's `vaults/keys/read`). */
export class OperationIndex {
  readonly size: number;
  /** Spelling as published, lower-cased name, kind, shape, weight class: by index, sorted by lower-cased name. */
  readonly names: readonly string[];
  private readonly lower: readonly string[];
  readonly kinds: readonly OperationKind[];
  readonly shapes: readonly (OperationShape | undefined)[];
  private readonly byKey = new Map<string, number>();
  /** Operations of each weight class, and of each kind. */
  readonly classMasks: Readonly<Record<WeightClass, BitSet>>;
  readonly kindMasks: Readonly<Record<OperationKind, BitSet>>;
  private readonly scopeMasks = new Map<string, BitSet>();

  constructor(operations: readonly KnownOperation[]) {
    const unique = new Map<string, KnownOperation>();
    for (const op of operations) {
      const name = op.name.trim();
      if (name === '' || hasWildcard(name)) continue;
      const key = `${op.isDataAction ? 'd' : 'a'}:${name.toLowerCase()}`;
      if (!unique.has(key)) unique.set(key, { name, isDataAction: op.isDataAction });
    }
    const sorted = [...unique.values()].sort((a, b) => {
      const x = a.name.toLowerCase();
      const y = b.name.toLowerCase();
      return x < y ? -1 : x > y ? 1 : Number(a.isDataAction) - Number(b.isDataAction);
    });
    this.size = sorted.length;
    this.names = sorted.map((o) => o.name);
    this.lower = sorted.map((o) => o.name.toLowerCase());
    this.kinds = sorted.map((o) => (o.isDataAction ? 'dataAction' : 'action'));
    this.shapes = sorted.map((o) => operationShape(o.name));
    const classMasks: Record<WeightClass, BitSet> = { data: emptySet(this.size), access: emptySet(this.size), write: emptySet(this.size), read: emptySet(this.size) };
    const kindMasks: Record<OperationKind, BitSet> = { action: emptySet(this.size), dataAction: emptySet(this.size) };
    sorted.forEach((op, i) => {
      this.byKey.set(`${this.kinds[i]}:${this.lower[i]}`, i);
      setBit(classMasks[weightClassOf(op)], i);
      setBit(kindMasks[this.kinds[i]!], i);
    });
    this.classMasks = classMasks;
    this.kindMasks = kindMasks;
  }

  /** Index of an exact (case-insensitive) name of that kind. */
  find(name: string, kind: OperationKind): number | undefined {
    return this.byKey.get(`${kind}:${name.trim().toLowerCase()}`);
  }

  /** Operations of `kind` that `pattern` matches, as a bit set. */
  match(pattern: string, kind: OperationKind): BitSet {
    const set = emptySet(this.size);
    const prefix = literalPrefix(pattern);
    for (let i = this.lowerBound(prefix); i < this.size && this.lower[i]!.startsWith(prefix); i++) {
      if (this.kinds[i] === kind && patternMatches(pattern, this.lower[i]!)) setBit(set, i);
    }
    return set;
  }

  /** The operations an assignment at a scope of this shape can authorise (cached per shape). */
  applicableAt(shape: ScopeShape): BitSet {
    if (shape.level !== 'resource') return this.allMask();
    const key = `${shape.provider}/${shape.types.join('/')}`;
    let mask = this.scopeMasks.get(key);
    if (!mask) {
      mask = emptySet(this.size);
      this.shapes.forEach((s, i) => {
        if (s && appliesAt(s, shape)) setBit(mask!, i);
      });
      if (this.scopeMasks.size > 1000) this.scopeMasks.clear();
      this.scopeMasks.set(key, mask);
    }
    return mask;
  }

  private allMask(): BitSet {
    let mask = this.scopeMasks.get('*');
    if (!mask) {
      mask = emptySet(this.size);
      for (let i = 0; i < this.size; i++) setBit(mask, i);
      this.scopeMasks.set('*', mask);
    }
    return mask;
  }

  /** Known names of `kind` closest to a misspelt one (edit distance), best first; only plausible ones. */
  nearest(name: string, kind: OperationKind, count = 3): string[] {
    const wanted = name.trim().toLowerCase();
    const candidates: { i: number; d: number }[] = [];
    for (let i = 0; i < this.size; i++) {
      if (this.kinds[i] !== kind) continue;
      candidates.push({ i, d: distance(wanted, this.lower[i]!) });
    }
    candidates.sort((a, b) => a.d - b.d || a.i - b.i);
    const limit = Math.max(4, Math.ceil(wanted.length * 0.35));
    const plausible = candidates.filter((c) => c.d <= limit).slice(0, count);
    if (plausible.length > 0) return plausible.map((c) => this.names[c.i]!);
    // Nothing close: still point at the closest name of the same provider, if there is one.
    const provider = wanted.split('/')[0] ?? '';
    const sameProvider = candidates.filter((c) => this.lower[c.i]!.startsWith(`${provider}/`)).map((c) => this.lower[c.i]!);
    const best = sameProvider.length > 0 ? closest(wanted, sameProvider) : undefined;
    return best ? [this.names[this.lower.indexOf(best)]!] : [];
  }

  private lowerBound(prefix: string): number {
    let lo = 0;
    let hi = this.size;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.lower[mid]! < prefix) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/** One permission a role grants (a pattern of one block), with what it matches among known operations. */
export interface GrantedPattern {
  kind: OperationKind;
  pattern: string;
  /** `${kind}:${lower-cased pattern}`, to compare with needed operations without allocating. */
  key: string;
  wildcard: boolean;
  /** What a literal permission acts on (undefined for patterns). */
  shape: OperationShape | undefined;
  note: string | undefined;
  /** NotActions / NotDataActions of the same block. */
  except: string[];
  conditional: boolean;
  matches: BitSet;
}

export interface CompiledRole {
  definition: RoleDefinition;
  /** Operations granted by any block, conditional ones included: what the role can reach. */
  reach: BitSet;
  /** Operations granted by blocks without a condition: what the role surely grants. */
  sure: BitSet;
  patterns: GrantedPattern[];
  wildcards: number;
}

function compileBlock(ops: OperationIndex, block: PermissionBlock, reach: BitSet, sure: BitSet, patterns: GrantedPattern[]): void {
  const conditional = block.condition !== undefined;
  for (const kind of KINDS) {
    const granted = kind === 'action' ? block.actions : block.dataActions;
    const denied = kind === 'action' ? block.notActions : block.notDataActions;
    const include = emptySet(ops.size);
    const exclude = emptySet(ops.size);
    for (const p of denied) orInto(exclude, ops.match(p, kind));
    const seen = new Set<string>();
    for (const p of granted) {
      if (seen.has(p.toLowerCase())) continue;
      seen.add(p.toLowerCase());
      const matches = ops.match(p, kind);
      andNotInto(matches, exclude);
      orInto(include, matches);
      const wildcard = hasWildcard(p);
      patterns.push({ kind, pattern: p, key: `${kind}:${p.toLowerCase()}`, wildcard, shape: operationShape(p), note: permissionNote(p), except: wildcard ? [...denied] : [], conditional, matches });
    }
    orInto(reach, include);
    if (!conditional) orInto(sure, include);
  }
}

export function compileRole(ops: OperationIndex, definition: RoleDefinition): CompiledRole {
  const reach = emptySet(ops.size);
  const sure = emptySet(ops.size);
  const patterns: GrantedPattern[] = [];
  for (const block of definition.permissions) compileBlock(ops, block, reach, sure, patterns);
  return { definition, reach, sure, patterns, wildcards: patterns.filter((p) => hasWildcard(p.pattern)).length };
}

/** Literal names in role definitions are known operations too, whatever the provider metadata says. */
function literalsOf(definitions: readonly RoleDefinition[]): KnownOperation[] {
  const out: KnownOperation[] = [];
  for (const d of definitions) {
    for (const b of d.permissions) {
      for (const n of [...b.actions, ...b.notActions]) if (!hasWildcard(n)) out.push({ name: n, isDataAction: false });
      for (const n of [...b.dataActions, ...b.notDataActions]) if (!hasWildcard(n)) out.push({ name: n, isDataAction: true });
    }
  }
  return out;
}

export class RoleCatalog {
  private readonly byGuid: Map<string, CompiledRole>;

  private constructor(
    readonly operations: OperationIndex,
    readonly roles: readonly CompiledRole[],
  ) {
    this.byGuid = new Map(roles.map((r) => [r.definition.guid, r]));
  }

  /** The catalog of these role definitions over these operations (plus every operation a role names literally). */
  static build(definitions: readonly RoleDefinition[], operations: readonly KnownOperation[]): RoleCatalog {
    const ops = new OperationIndex([...operations, ...literalsOf(definitions)]);
    return new RoleCatalog(ops, dedupe(definitions).map((d) => compileRole(ops, d)));
  }

  /** The same catalog with more roles (custom roles of a scope); a role with the same GUID is replaced. Shares the operations. */
  withRoles(extra: readonly RoleDefinition[]): RoleCatalog {
    if (extra.length === 0) return this;
    const replaced = new Set(extra.map((d) => d.guid));
    return new RoleCatalog(this.operations, [...this.roles.filter((r) => !replaced.has(r.definition.guid)), ...dedupe(extra).map((d) => compileRole(this.operations, d))]);
  }

  role(guid: string): CompiledRole | undefined {
    return this.byGuid.get(guid.toLowerCase());
  }

  /** True when the role surely grants the operation (a condition-free block grants it). */
  surelyGrants(role: CompiledRole, index: number): boolean {
    return hasBit(role.sure, index);
  }
}

function dedupe(definitions: readonly RoleDefinition[]): RoleDefinition[] {
  const seen = new Map<string, RoleDefinition>();
  for (const d of definitions) seen.set(d.guid, d);
  return [...seen.values()];
}
