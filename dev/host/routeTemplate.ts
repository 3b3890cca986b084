/**
 * Route templates as the Functions host reads them (ASP.NET routing): literal segments
 * (case-insensitive), `{param}`, `{param?}` (optional, trailing), `{*rest}` (catch-all, last),
 * and the common inline constraints (`{id:guid}`, `{n:int:min(1)}`). Pure: compile once,
 * then match path segments.
 */
import type { HttpMethod } from '@azure/functions';
import { isGuid } from '../../shared/domain/armIds';
import { ConfigError } from '../../shared/domain/errors';

type Constraint = (value: string) => boolean;

type Segment =
  | { kind: 'literal'; value: string }
  | { kind: 'param'; name: string; optional: boolean; constraints: Constraint[] }
  | { kind: 'catchAll'; name: string };

export interface RouteTemplate {
  template: string;
  segments: Segment[];
  /** Lower sorts first: literals beat constrained parameters beat parameters beat optionals beat catch-alls. */
  precedence: number[];
}

export type RouteMatch = Record<string, string>;

const PARAM = /^\{(\*)?([A-Za-z_][A-Za-z0-9_]*)((?::[A-Za-z]+(?:\([^)]*\))?)*)(\?)?\}$/;

export function compileRouteTemplate(template: string): RouteTemplate {
  const parts = template.replace(/^\/+|\/+$/g, '').split('/').filter((p) => p.length > 0);
  const segments: Segment[] = [];
  const names = new Set<string>();
  parts.forEach((part, index) => {
    if (!part.includes('{') && !part.includes('}')) {
      segments.push({ kind: 'literal', value: part.toLowerCase() });
      return;
    }
    const m = PARAM.exec(part);
    if (!m) throw new ConfigError(`Route "${template}": segment "${part}" must be a literal or exactly one {parameter}.`);
    const [, star, name, constraintText, question] = m as unknown as [string, string | undefined, string, string, string | undefined];
    if (names.has(name.toLowerCase())) throw new ConfigError(`Route "${template}": parameter "${name}" appears twice.`);
    names.add(name.toLowerCase());
    if (star) {
      if (index !== parts.length - 1) throw new ConfigError(`Route "${template}": the catch-all {*${name}} must be the last segment.`);
      segments.push({ kind: 'catchAll', name });
      return;
    }
    segments.push({ kind: 'param', name, optional: question !== undefined, constraints: parseConstraints(template, constraintText) });
  });
  let seenOptional = false;
  for (const segment of segments) {
    if (segment.kind === 'param' && segment.optional) seenOptional = true;
    else if (seenOptional && segment.kind !== 'catchAll') {
      throw new ConfigError(`Route "${template}": only trailing segments can be optional.`);
    }
  }
  const precedence = segments.map((s) =>
    s.kind === 'literal' ? 1 : s.kind === 'catchAll' ? 5 : s.optional ? 4 : s.constraints.length > 0 ? 2 : 3,
  );
  return { template, segments, precedence };
}

/**
 * Matches decoded path segments (already split on `/`, without the `api` prefix).
 * Returns the parameters, or undefined when the path does not fit the template.
 */
export function matchRouteTemplate(route: RouteTemplate, path: readonly string[]): RouteMatch | undefined {
  const params: RouteMatch = {};
  for (let i = 0; i < route.segments.length; i++) {
    const segment = route.segments[i]!;
    const value = path[i];
    if (segment.kind === 'catchAll') {
      const rest = path.slice(i).join('/');
      if (rest.length > 0) params[segment.name] = rest;
      return params;
    }
    if (value === undefined || value.length === 0) {
      if (segment.kind === 'param' && segment.optional && value === undefined) continue;
      return undefined;
    }
    if (segment.kind === 'literal') {
      if (value.toLowerCase() !== segment.value) return undefined;
    } else {
      if (!segment.constraints.every((accepts) => accepts(value))) return undefined;
      params[segment.name] = value;
    }
  }
  return path.length <= route.segments.length ? params : undefined;
}

export function comparePrecedence(a: RouteTemplate, b: RouteTemplate): number {
  const length = Math.max(a.precedence.length, b.precedence.length);
  for (let i = 0; i < length; i++) {
    // A route that ends earlier matched fewer segments: it is less specific than one that goes on.
    const pa = a.precedence[i] ?? 6;
    const pb = b.precedence[i] ?? 6;
    if (pa !== pb) return pa - pb;
  }
  return 0;
}

export interface RoutedFunction<T> {
  route: RouteTemplate;
  methods: readonly HttpMethod[];
  target: T;
}

export type RouteResolution<T> =
  | { kind: 'match'; target: T; params: RouteMatch }
  | { kind: 'methodNotAllowed'; allow: HttpMethod[] }
  | { kind: 'notFound' };

/** Picks the most specific route that accepts the method; a path known under other methods is a 405. */
export function resolveRoute<T>(routes: readonly RoutedFunction<T>[], method: string, path: readonly string[]): RouteResolution<T> {
  const upper = method.toUpperCase();
  const candidates = routes
    .map((r) => ({ r, params: matchRouteTemplate(r.route, path) }))
    .filter((c): c is { r: RoutedFunction<T>; params: RouteMatch } => c.params !== undefined);
  if (candidates.length === 0) return { kind: 'notFound' };
  const allowed = candidates
    .filter((c) => c.r.methods.length === 0 || c.r.methods.includes(upper as HttpMethod))
    .sort((a, b) => comparePrecedence(a.r.route, b.r.route));
  const best = allowed[0];
  if (best) return { kind: 'match', target: best.r.target, params: best.params };
  const allow = [...new Set(candidates.flatMap((c) => c.r.methods))].sort();
  return { kind: 'methodNotAllowed', allow };
}

function parseConstraints(template: string, text: string): Constraint[] {
  if (text.length === 0) return [];
  return text
    .slice(1)
    .split(/:(?![^(]*\))/)
    .map((raw) => {
      const m = /^([A-Za-z]+)(?:\(([^)]*)\))?$/.exec(raw);
      const name = m?.[1]?.toLowerCase();
      const args = (m?.[2] ?? '').split(',').map((a) => a.trim()).filter((a) => a.length > 0).map(Number);
      const constraint = name ? buildConstraint(name, args) : undefined;
      if (!constraint) throw new ConfigError(`Route "${template}": unsupported route constraint "${raw}".`);
      return constraint;
    });
}

function buildConstraint(name: string, args: number[]): Constraint | undefined {
  if (args.some((n) => !Number.isFinite(n))) return undefined;
  const [a, b] = args;
  const isInteger = (v: string) => /^-?\d+$/.test(v);
  switch (name) {
    case 'int':
    case 'long':
      return isInteger;
    case 'bool':
      return (v) => /^(true|false)$/i.test(v);
    case 'guid':
      return isGuid;
    case 'alpha':
      return (v) => /^[A-Za-z]+$/.test(v);
    case 'double':
    case 'float':
    case 'decimal':
      return (v) => /^-?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/.test(v);
    case 'minlength':
      return a === undefined ? undefined : (v) => v.length >= a;
    case 'maxlength':
      return a === undefined ? undefined : (v) => v.length <= a;
    case 'length':
      if (a === undefined) return undefined;
      return b === undefined ? (v) => v.length === a : (v) => v.length >= a && v.length <= b;
    case 'min':
      return a === undefined ? undefined : (v) => isInteger(v) && Number(v) >= a;
    case 'max':
      return a === undefined ? undefined : (v) => isInteger(v) && Number(v) <= a;
    case 'range':
      return a === undefined || b === undefined ? undefined : (v) => isInteger(v) && Number(v) >= a && Number(v) <= b;
    default:
      return undefined;
  }
}
