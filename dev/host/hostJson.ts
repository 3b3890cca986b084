/**
 * What the local host takes from the app's host.json, as the Functions host does: the HTTP route
 * prefix (`extensions.http.routePrefix`; `api` when unset, "" for routes at the site root).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { ConfigError } from '../../shared/domain/errors';
import { DEFAULT_ROUTE_PREFIX } from './index';

const hostJsonSchema = z.looseObject({
  extensions: z.looseObject({ http: z.looseObject({ routePrefix: z.string().optional() }).optional() }).optional(),
});

/** The route prefix of a host.json document (text). */
export function routePrefixOf(text: string, file = 'host.json'): string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`${file} is not valid JSON: ${(err as Error).message}`);
  }
  const parsed = hostJsonSchema.safeParse(value);
  if (!parsed.success) throw new ConfigError(`${file}: extensions.http.routePrefix must be a string.`);
  return parsed.data.extensions?.http?.routePrefix ?? DEFAULT_ROUTE_PREFIX;
}

/** The app's host.json: the nearest one above this module (the repository root, from dev/ or dist/dev/). */
export function findHostJson(from = __dirname): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'host.json');
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) throw new ConfigError(`No host.json found above ${from}.`);
  }
}

/** The route prefix the app's host.json sets. */
export function appRoutePrefix(): string {
  const file = findHostJson();
  return routePrefixOf(readFileSync(file, 'utf8'), file);
}
