/**
 * Guards for untrusted event text, used by the envelope and by every data decoder: what counts
 * as safe text, how an untrusted value is named in a message, RFC 3339 times, and zod helpers
 * whose messages read as predicates ("data.api is required"). One dialect for every refusal.
 */
import { z } from 'zod';
import { ValidationError } from '../errors';

/**
 * True when `value` has no control characters (C0, DEL, C1), no invisible direction or
 * line-separator formatting characters and no unpaired surrogates: such characters in an id
 * can hide what an audit record says or break whatever later prints or keys it.
 */
export function isSafeText(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) return false;
    if (c === 0x200e || c === 0x200f || c === 0x2028 || c === 0x2029) return false;
    if ((c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069)) return false;
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = value.charCodeAt(i + 1);
      if (!(next >= 0xdc00 && next <= 0xdfff)) return false;
      i++;
    } else if (c >= 0xdc00 && c <= 0xdfff) {
      return false;
    }
  }
  return true;
}

/** A short, printable description of an untrusted value for error messages (never throws). */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') {
    if (!isSafeText(value)) return 'a string with control characters';
    return value.length > 80 ? `'${value.slice(0, 80)}...' (${value.length} characters)` : `'${value}'`;
  }
  if (typeof value === 'number' || typeof value === 'boolean') return `${typeof value} ${String(value)}`;
  return typeof value === 'object' ? 'an object' : typeof value;
}

/** A zod string of at most `max` characters that refuses hostile text. */
export function safeString(max: number) {
  return z
    .string({ error: (iss) => (iss.input === undefined ? 'is required' : `must be a string, not ${describeValue(iss.input)}`) })
    .max(max, { error: `must be at most ${max} characters` })
    .refine(isSafeText, { error: 'contains control or invisible formatting characters' });
}

/** safeString that must also have something besides white space. */
export function nonEmptyString(max: number) {
  return safeString(max).refine((s) => s.trim().length > 0, { error: 'must not be empty' });
}

/** RFC 3339 date-time with a time zone (Event Grid sends 7 fraction digits, Key Vault none). */
export function rfc3339() {
  return z.iso.datetime({
    offset: true,
    error: (iss) =>
      iss.input === undefined ? 'is required' : `must be an RFC 3339 timestamp with a time zone (2026-11-20T10:00:00Z), not ${describeValue(iss.input)}`,
  });
}

export function isRfc3339(value: string): boolean {
  return rfc3339().safeParse(value).success;
}

/** An event time the envelope accepted, as ISO 8601 in milliseconds; undefined stays undefined (CloudEvents may omit it). */
export function toIsoMillis(time: string | undefined): string | undefined {
  return time === undefined ? undefined : new Date(time).toISOString();
}

/** Parses with `schema` or throws a ValidationError listing every problem with its path. */
export function parseOrThrow<T>(schema: z.ZodType<T>, value: unknown, what: string, root: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const path = [root, ...issue.path.map(String)].filter((p) => p.length > 0).join('.');
    return `${path} ${issue.message}`;
  });
  throw new ValidationError(`${what}: ${problems.join('; ')}`, 'InvalidEvent');
}
