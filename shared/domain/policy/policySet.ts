/**
 * The loaded set of policies and the questions everyone asks of it: which policy governs a
 * scope, and is this principal or assignment exempt there.
 *
 * Safety invariant: a PolicySet that failed to load never exists. The constructor is
 * private and the only way to get one, `PolicySet.fromSources`, decodes every file and runs
 * every cross-file check first, throwing `PolicyLoadError` on any problem; the result is
 * deeply frozen. So enforcement can never run on a half-loaded or half-valid policy, and a
 * bad edit in git stops start-up (and CI) instead of silently weakening or widening rules.
 */
import { createHash } from 'node:crypto';
import { parseAllDocuments } from 'yaml';
import { canonicalJson } from '../audit/canonicalJson';
import { isManagementGroupScope, isWithinScope, normalizeScope, parseRoleAssignmentId, roleAssignmentId, scopeDepth, scopeKey, subscriptionOf } from '../armIds';
import { formatDuration } from './duration';
import { PolicyLoadError, problemsFromZod, type PolicyProblem } from './problems';
import { policySchema } from './schema';
import type { AssignmentExemption, ExceptionTerms, Policy, PolicyRole, PrincipalExemption } from './types';

/** One policy file: YAML text, or an already-parsed object (tests, tools). */
export type PolicySource = { file: string; text: string } | { file: string; data: unknown };

/** Identity of a file's policy for cross-file checks, known even when the rest of the file is invalid. */
interface PolicyIdentity {
  id?: string;
  scope?: string;
  source: string;
}

type Decoded = { ok: true; policy: Policy } | { ok: false; problems: PolicyProblem[]; identity?: PolicyIdentity };

function identityOf(file: string, data: Record<string, unknown>): PolicyIdentity {
  return {
    source: file,
    ...(typeof data.id === 'string' ? { id: data.id } : {}),
    ...(typeof data.scope === 'string' ? { scope: normalizeScope(data.scope.trim()) } : {}),
  };
}

function yamlProblems(file: string, text: string): { data?: unknown; problems: PolicyProblem[] } {
  const docs = parseAllDocuments(text);
  const list = Array.isArray(docs) ? docs : [];
  if (list.length === 0) return { problems: [{ file, path: '', reason: 'the file is empty: expected one policy' }] };
  if (list.length > 1) return { problems: [{ file, path: '', reason: `the file holds ${list.length} YAML documents: put one policy per file` }] };
  const doc = list[0]!;
  if (doc.errors.length > 0) {
    return {
      problems: doc.errors.map((e) => {
        const pos = e.linePos?.[0];
        return {
          file,
          path: pos ? `line ${pos.line}, column ${pos.col}` : '',
          reason: `YAML syntax: ${(e.message.split('\n')[0] ?? e.message).replace(/ at line \d+, column \d+:?$/, '')}`,
        };
      }),
    };
  }
  return { data: doc.toJS(), problems: [] };
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/** Decodes one policy file; problems name the file and the path inside it. */
export function decodePolicySource(source: PolicySource): Decoded {
  let data: unknown;
  if ('text' in source) {
    const parsed = yamlProblems(source.file, source.text);
    if (parsed.problems.length > 0) return { ok: false, problems: parsed.problems };
    data = parsed.data;
  } else {
    data = source.data;
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    return { ok: false, problems: [{ file: source.file, path: '', reason: 'expected a policy (a mapping with id, description, scope, mode, roles, ...)' }] };
  }
  const result = policySchema.safeParse(data);
  if (!result.success) {
    return { ok: false, problems: problemsFromZod(source.file, result.error, data), identity: identityOf(source.file, data as Record<string, unknown>) };
  }
  return { ok: true, policy: { ...result.data, source: source.file } };
}

/** What an exception request needs under a flexible policy; undefined when the policy takes none. */
export function exceptionTerms(policy: Policy): ExceptionTerms | undefined {
  if (policy.kind !== 'flexible' || !policy.exception || policy.roles.length === 0) return undefined;
  // One approval more than the strictest listed role, so an exception is never the easier
  // path; half the longest listed duration (whole seconds), so it is never the longer one.
  const approvals = Math.max(...policy.roles.map((r) => r.approvals)) + 1;
  const maxDurationMs = Math.floor(Math.max(...policy.roles.map((r) => r.maxDurationMs)) / 2000) * 1000;
  return {
    approvals,
    approvers: policy.exception.approvers,
    maxDurationMs,
    maxDuration: formatDuration(maxDurationMs),
    ...(policy.exception.roles ? { roles: policy.exception.roles.map((r) => r.roleDefinitionGuid) } : {}),
  };
}

/** The listed role of a policy, by role definition GUID (any case). */
export function findPolicyRole(policy: Policy, roleDefinitionGuid: string): PolicyRole | undefined {
  const guid = roleDefinitionGuid.toLowerCase();
  return policy.roles.find((r) => r.roleDefinitionGuid === guid);
}

export interface ExemptionMatch<T> {
  policy: Policy;
  exemption: T;
}

/** What lies under a management group, at any depth: subscription ids and group scopes. */
export interface ManagementGroupDescendants {
  subscriptions: readonly string[];
  groups: readonly string[];
}

interface Descendants {
  subscriptions: ReadonlySet<string>;
  groups: ReadonlySet<string>;
}

export class PolicySet {
  private readonly byIdKey: ReadonlyMap<string, Policy>;

  private constructor(
    readonly policies: readonly Policy[],
    /** Principals exempt everywhere, whatever the policy files say (configuration, e.g. break-glass accounts). */
    private readonly standing: ReadonlyMap<string, PrincipalExemption> = new Map(),
    /** Below each management group a policy governs (scope key): read from ARM at start-up. */
    private readonly groups: ReadonlyMap<string, Descendants> = new Map(),
  ) {
    this.byIdKey = new Map(policies.map((p) => [p.id.toLowerCase(), p]));
  }

  /**
   * The same policies plus principals that are exempt at every scope. Configuration, not policy:
   * deleting an exemption from a policy file must never expose a break-glass account to revocation.
   */
  withStandingExemptions(exemptions: readonly PrincipalExemption[]): PolicySet {
    const standing = new Map(this.standing);
    for (const e of exemptions) standing.set(e.id.toLowerCase(), Object.freeze({ id: e.id.toLowerCase(), reason: e.reason }));
    return new PolicySet(this.policies, standing, this.groups);
  }

  /** The same policies, knowing what lies under the management groups they govern (ARM's descendants of each). */
  withManagementGroups(tree: ReadonlyMap<string, ManagementGroupDescendants>): PolicySet {
    const groups = new Map(this.groups);
    for (const [scope, d] of tree) {
      groups.set(scopeKey(scope), { subscriptions: new Set(d.subscriptions.map((s) => s.toLowerCase())), groups: new Set(d.groups.map((g) => scopeKey(g))) });
    }
    return new PolicySet(this.policies, this.standing, groups);
  }

  /** Management group scopes that policies govern (their descendants must be loaded with withManagementGroups). */
  managementGroupScopes(): string[] {
    return this.policies.filter((p) => isManagementGroupScope(p.scope)).map((p) => p.scope);
  }

  /** Subscriptions (lower-case ids) under a management group a policy governs; empty for anything else. */
  subscriptionsUnder(managementGroupScope: string): string[] {
    return [...(this.groups.get(scopeKey(managementGroupScope))?.subscriptions ?? [])];
  }

  /**
   * True when `inner` is `outer` or lies under it: by path inside a subscription, and through the
   * management group hierarchy for a management group `outer`.
   */
  contains(outer: string, inner: string): boolean {
    if (isWithinScope(inner, outer)) return true;
    const below = this.groups.get(scopeKey(outer));
    if (!below) return false;
    if (isManagementGroupScope(inner)) return below.groups.has(scopeKey(inner));
    const sub = subscriptionOf(inner);
    return sub !== undefined && below.subscriptions.has(sub);
  }

  /** Broader first: a scope that contains the other, else management groups before subscriptions, else by path depth. */
  private compareBreadth(a: string, b: string): number {
    if (scopeKey(a) === scopeKey(b)) return 0;
    if (this.contains(a, b)) return -1;
    if (this.contains(b, a)) return 1;
    const groupA = isManagementGroupScope(a);
    if (groupA !== isManagementGroupScope(b)) return groupA ? -1 : 1;
    return scopeDepth(a) - scopeDepth(b);
  }

  /** Decodes every source and checks them together; throws PolicyLoadError listing every problem. */
  static fromSources(sources: readonly PolicySource[]): PolicySet {
    const problems: PolicyProblem[] = [];
    const policies: Policy[] = [];
    const identities: PolicyIdentity[] = [];
    for (const source of sources) {
      const decoded = decodePolicySource(source);
      if (decoded.ok) {
        policies.push(decoded.policy);
        identities.push(decoded.policy);
      } else {
        problems.push(...decoded.problems);
        if (decoded.identity) identities.push(decoded.identity);
      }
    }
    if (sources.length === 0) problems.push({ file: '(policies)', path: '', reason: 'no policy files: AccessManager needs at least one policy' });
    problems.push(...crossFileProblems(identities));
    if (problems.length > 0) throw new PolicyLoadError(problems);
    return new PolicySet(deepFreeze(policies));
  }

  /**
   * A hash of what the policies decide (every policy without the file it came from, and the
   * standing exemptions): equal for equal rules, different after any change that matters.
   */
  fingerprint(): string {
    const policies = [...this.policies].map(({ source: _source, ...rest }) => rest).sort((a, b) => a.id.localeCompare(b.id));
    const standing = [...this.standing.values()].sort((a, b) => a.id.localeCompare(b.id));
    return createHash('sha256').update(canonicalJson({ policies, standing } as unknown as Record<string, unknown>)).digest('hex');
  }

  byId(id: string): Policy | undefined {
    return this.byIdKey.get(id.toLowerCase());
  }

  /** Every policy whose scope contains `scope` (management groups included), most specific first. */
  governingChain(scope: string): Policy[] {
    return this.policies.filter((p) => this.contains(p.scope, scope)).sort((a, b) => this.compareBreadth(b.scope, a.scope));
  }

  /** The most specific policy whose scope contains `scope` (whole segments, any case); it decides there. */
  governing(scope: string): Policy | undefined {
    return this.governingChain(scope)[0];
  }

  /**
   * The exemption covering a principal at a scope. Exemptions of every enclosing policy apply,
   * so a break-glass exemption at the subscription covers everything under it.
   */
  principalExemption(principalId: string, scope: string): ExemptionMatch<PrincipalExemption> | undefined {
    const id = principalId.toLowerCase();
    const chain = this.governingChain(scope);
    const standing = this.standing.get(id);
    if (standing && chain[0]) return { policy: chain[0], exemption: standing };
    for (const policy of chain) {
      const exemption = policy.exemptions.principals.find((e) => e.id === id);
      if (exemption) return { policy, exemption };
    }
    return undefined;
  }

  isExemptPrincipal(principalId: string, scope: string): boolean {
    return this.principalExemption(principalId, scope) !== undefined;
  }

  /**
   * The exemption covering a role assignment, given its name (GUID) or full id and the scope it
   * sits at. An exemption written with a full id also pins the scope.
   */
  assignmentExemption(nameOrId: string, scope: string): ExemptionMatch<AssignmentExemption> | undefined {
    const parsed = parseRoleAssignmentId(nameOrId);
    const name = (parsed?.name ?? nameOrId.trim()).toLowerCase();
    const fullKey = scopeKey(parsed?.id ?? roleAssignmentId(scope, name));
    // `scope` is where the assignment applies: its own scope, or the governed scope an assignment
    // from above (a management group's) reaches into, whose policies' exemption lists count.
    for (const policy of this.governingChain(scope)) {
      const exemption = policy.exemptions.assignments.find((e) => e.name === name && (e.id === undefined || scopeKey(e.id) === fullKey));
      if (exemption) return { policy, exemption };
    }
    return undefined;
  }

  isExemptAssignment(nameOrId: string, scope: string): boolean {
    return this.assignmentExemption(nameOrId, scope) !== undefined;
  }

  /** The scopes of all policies, broadest first. */
  allGovernedScopes(): string[] {
    return [...this.policies].sort((a, b) => this.compareBreadth(a.scope, b.scope) || scopeKey(a.scope).localeCompare(scopeKey(b.scope))).map((p) => p.scope);
  }

  /**
   * The governed scopes that contain no other governed scope's container: listing each (and, for
   * a management group, each subscription under it) covers every governed scope.
   */
  topScopes(): string[] {
    const tops: string[] = [];
    for (const s of this.allGovernedScopes()) if (!tops.some((t) => this.contains(t, s))) tops.push(s);
    return tops;
  }

  /**
   * The default security contacts: who approves access under the broadest policy that names
   * approvers (user and group object ids). They own the outermost scope, so they hear when
   * enforcement is impaired.
   */
  broadestApprovers(): string[] {
    const byScope = new Map(this.policies.map((p) => [scopeKey(p.scope), p]));
    for (const scope of this.allGovernedScopes()) {
      const p = byScope.get(scopeKey(scope));
      if (!p) continue;
      const ids = new Set<string>();
      for (const a of [...p.roles.map((r) => r.approvers), ...(p.exception ? [p.exception.approvers] : [])]) for (const id of [...a.groups, ...a.users]) ids.add(id);
      if (ids.size > 0) return [...ids].sort();
    }
    return [];
  }

  /** The subscriptions (lower-case ids) that contain a governed scope, management groups' included. */
  governedSubscriptions(): string[] {
    const subs = this.policies.flatMap((p) => (isManagementGroupScope(p.scope) ? this.subscriptionsUnder(p.scope) : [subscriptionOf(p.scope)])).filter((s): s is string => s !== undefined);
    return [...new Set(subs)].sort();
  }
}

/** Unique ids and one policy per scope, across files (and including files that are otherwise invalid). */
function crossFileProblems(policies: readonly PolicyIdentity[]): PolicyProblem[] {
  const problems: PolicyProblem[] = [];
  const ids = new Map<string, PolicyIdentity>();
  const scopes = new Map<string, PolicyIdentity>();
  for (const policy of policies) {
    if (policy.id !== undefined) {
      const first = ids.get(policy.id.toLowerCase());
      if (first) problems.push({ file: policy.source, path: 'id', reason: `duplicate id "${policy.id}": ${first.source} already uses it` });
      else ids.set(policy.id.toLowerCase(), policy);
    }
    if (policy.scope !== undefined) {
      const first = scopes.get(scopeKey(policy.scope));
      if (first) {
        problems.push({
          file: policy.source,
          path: 'scope',
          reason: `policy "${first.id ?? '?'}" (${first.source}) already governs ${policy.scope}: one policy per scope, merge them`,
        });
      } else {
        scopes.set(scopeKey(policy.scope), policy);
      }
    }
  }
  return problems;
}
