/**
 * Canonical JSON: one byte-exact spelling per JSON value, so a record hashes the same before it is
 * written and after Cosmos hands it back with its keys in another order.
 */
import { createHash } from 'node:crypto';

/**
 * Keys sorted recursively (by UTF-16 code unit, JavaScript's default sort), no whitespace,
 * `undefined` object members dropped and `undefined` array elements written as `null` (what a
 * JSON round-trip through the store turns them into). Strings are not Unicode-normalized: NFC and
 * NFD spellings are different content and hash differently.
 *
 * Throws TypeError for anything JSON cannot carry unchanged through a store round-trip: NaN and
 * the infinities, bigint, functions, symbols, class instances (Date, Map, ...) and cycles.
 */
export function canonicalJson(value: unknown): string {
  return write(value, new Set<object>(), '$');
}

function write(value: unknown, ancestors: Set<object>, path: string): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'string':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`canonicalJson: ${path} is ${value}, which JSON cannot represent.`);
      return JSON.stringify(value);
    case 'object':
      break;
    default:
      throw new TypeError(`canonicalJson: ${path} is a ${typeof value}, which JSON cannot represent.`);
  }
  const obj = value as object;
  if (ancestors.has(obj)) throw new TypeError(`canonicalJson: ${path} refers back to one of its ancestors (a cycle).`);
  ancestors.add(obj);
  try {
    if (Array.isArray(obj)) {
      const parts = obj.map((element: unknown, i) => (element === undefined ? 'null' : write(element, ancestors, `${path}[${i}]`)));
      return `[${parts.join(',')}]`;
    }
    const proto: unknown = Object.getPrototypeOf(obj);
    if (proto !== Object.prototype && proto !== null) {
      const name = (obj as { constructor?: { name?: string } }).constructor?.name ?? 'object';
      throw new TypeError(`canonicalJson: ${path} is a ${name}; convert it to plain JSON (e.g. an ISO string) first.`);
    }
    const record = obj as Record<string, unknown>;
    const parts: string[] = [];
    for (const key of Object.keys(record).sort()) {
      const member = record[key];
      if (member === undefined) continue;
      parts.push(`${JSON.stringify(key)}:${write(member, ancestors, `${path}.${key}`)}`);
    }
    return `{${parts.join(',')}}`;
  } finally {
    ancestors.delete(obj);
  }
}

/** Lower-case hex SHA-256 of the UTF-8 bytes of `text`. */
export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}
