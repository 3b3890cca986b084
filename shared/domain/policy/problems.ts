/**
 * Problems found while loading policies, worded for the security admin who edits the YAML:
 * which file, where in it (`roles[1].maxDuration`), and what to change.
 */
import type { z } from 'zod';
import { ConfigError } from '../errors';

export interface PolicyProblem {
  file: string;
  /** Where in the file: `roles[1].maxDuration`, `line 3, column 5`, or '' for the whole file. */
  path: string;
  reason: string;
}

/** Policies could not be loaded. Lists every problem, so one CI run shows them all. */
export class PolicyLoadError extends ConfigError {
  constructor(readonly problems: readonly PolicyProblem[]) {
    super(
      `Policies are invalid (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n` +
        problems.map((p) => `  ${formatProblem(p)}`).join('\n'),
    );
    this.name = 'PolicyLoadError';
  }
}

export function formatProblem(p: PolicyProblem): string {
  return p.path ? `${p.file}: ${p.path}: ${p.reason}` : `${p.file}: ${p.reason}`;
}

/** `['roles', 1, 'maxDuration']` -> `roles[1].maxDuration`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let current = input;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return `the text ${JSON.stringify(value)}`;
  return `${typeof value} ${String(value)}`;
}

const TYPE_NAMES: Record<string, string> = {
  string: 'text',
  number: 'a number',
  boolean: 'true or false',
  object: 'a mapping',
  array: 'a list',
  int: 'a whole number',
};

/** One problem per zod issue (one per key for unknown keys), phrased for a YAML author. */
export function problemsFromZod(file: string, error: z.ZodError, input: unknown): PolicyProblem[] {
  const problems: PolicyProblem[] = [];
  for (const issue of error.issues) {
    const value = valueAt(input, issue.path);
    const at = formatPath(issue.path);
    switch (issue.code) {
      case 'unrecognized_keys':
        for (const key of issue.keys) {
          problems.push({ file, path: formatPath([...issue.path, key]), reason: 'unknown key: not part of a policy (check the spelling)' });
        }
        break;
      case 'invalid_type': {
        const expected = TYPE_NAMES[issue.expected] ?? issue.expected;
        problems.push({ file, path: at, reason: value === undefined ? `is missing (expected ${expected})` : `expected ${expected}, got ${describeValue(value)}` });
        break;
      }
      case 'invalid_value':
        problems.push({ file, path: at, reason: `${value === undefined ? 'is missing: it ' : ''}must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}${value === undefined ? '' : ` (got ${describeValue(value)})`}` });
        break;
      case 'too_small':
      case 'too_big':
      case 'invalid_format':
        problems.push({ file, path: at, reason: value === undefined ? issue.message : `${issue.message} (got ${describeValue(value)})` });
        break;
      default:
        problems.push({ file, path: at, reason: issue.message });
    }
  }
  return problems;
}
