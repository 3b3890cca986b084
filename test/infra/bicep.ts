/**
 * Reading the Bicep templates as text, for the tests that stand in for a compiler here (none can
 * be installed on this machine): object keys, parameters, module calls.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = join(__dirname, '..', '..');

export function readRepoFile(file: string): string {
  return readFileSync(join(root, file), 'utf8');
}

function walk(dir: string, keep: (name: string) => boolean): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(join(dir, e.name), keep) : keep(e.name) ? [relative(root, join(root, dir, e.name))] : [],
  );
}

export function bicepFiles(): string[] {
  return walk('infra', (name) => name.endsWith('.bicep'));
}

export function sourceFiles(dir: string): string[] {
  return walk(dir, (name) => name.endsWith('.ts'));
}

/** The text between the `{` after `marker` and its matching `}`. */
export function bicepBlock(text: string, marker: string, from = 0): string {
  const at = text.indexOf(marker, from);
  if (at < 0) throw new Error(`${marker} not found`);
  const open = marker.endsWith('{') ? at + marker.length - 1 : text.indexOf('{', at + marker.length);
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === '{') depth++;
    else if (text[i] === '}' && --depth === 0) return text.slice(open + 1, i);
  }
  throw new Error(`${marker}: unbalanced braces`);
}

/** Keys at the top level of the object literal after `marker` (comments and nested values skipped). */
export function bicepObjectKeys(text: string, marker: string, from = 0): string[] {
  const body = bicepBlock(text, marker, from);
  const keys: string[] = [];
  let depth = 0;
  for (const line of body.split('\n')) {
    const code = line.replace(/\/\/.*$/, '');
    const m = depth === 0 ? /^\s*'?([\w.-]+)'?\s*:/.exec(code) : null;
    if (m) keys.push(m[1]!);
    for (const ch of code) {
      if (ch === '{' || ch === '[' || ch === '(') depth++;
      else if (ch === '}' || ch === ']' || ch === ')') depth--;
    }
  }
  return keys;
}

export interface BicepParam {
  name: string;
  type: string;
  required: boolean;
}

/** `param name type [= default]` declarations. */
export function bicepParams(text: string): BicepParam[] {
  return [...text.matchAll(/^param (\w+) (\w+)( =)?/gm)].map((m) => ({ name: m[1]!, type: m[2]!, required: m[3] === undefined }));
}

export interface BicepModuleCall {
  symbol: string;
  path: string;
  params: string[];
}

/** `module symbol 'path' = ... { ... params: { ... } }` calls. */
export function bicepModules(text: string): BicepModuleCall[] {
  return [...text.matchAll(/^module (\w+) '([^']+)' = /gm)].map((m) => {
    const body = bicepBlock(text, '{', m.index);
    const paramsAt = body.indexOf('params:');
    return { symbol: m[1]!, path: m[2]!, params: paramsAt < 0 ? [] : bicepObjectKeys(body, 'params:', paramsAt) };
  });
}
