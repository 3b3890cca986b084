/**
 * Keeps ARM's role catalog in memory. Built-in roles and provider operations change a few times a
 * month: they are refreshed every 6 hours. Custom roles can change any day: each scope's list is
 * refreshed every 5 minutes (at most 500 scopes are kept, least recently used go first). An expired
 * entry is served while it is refreshed in the background, and if ARM fails for a while longer
 * (built-in roles and operations a day, custom roles 10 minutes), so a suggestion never waits on a refresh and an ARM outage does not take suggestions down. The
 * cache advises, it does not decide alone: a request stores the verdict it was judged by.
 */
import type { KnownOperation, RoleDefinition, RoleDefinitions } from '../../ports/roleDefinitions';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

export interface RoleCatalogCacheSettings {
  builtInTtlMs: number;
  operationsTtlMs: number;
  customTtlMs: number;
  /** How long past its TTL an entry is still served when refreshing it fails. */
  maxStaleMs: number;
  /** Scopes whose custom roles are kept. */
  maxScopes: number;
}

export const ROLE_CATALOG_CACHE: RoleCatalogCacheSettings = { builtInTtlMs: 6 * HOUR, operationsTtlMs: 6 * HOUR, customTtlMs: 5 * MINUTE, maxStaleMs: 24 * HOUR, maxScopes: 500 };

/** One cached value: fresh, stale (served while refreshing), or missing (the caller waits for the load). */
class Entry<T> {
  private value: T | undefined;
  private fetchedAt = 0;
  private pending: Promise<T> | undefined;

  constructor(
    private readonly ttlMs: number,
    private readonly maxStaleMs: number,
    private readonly now: () => number,
    private readonly warn: (message: string) => void,
  ) {}

  get(load: () => Promise<T>, what: string): Promise<T> {
    const age = this.now() - this.fetchedAt;
    if (this.value !== undefined && age < this.ttlMs) return Promise.resolve(this.value);
    const refresh = (this.pending ??= load()
      .then((v) => {
        this.value = v;
        this.fetchedAt = this.now();
        return v;
      })
      .finally(() => {
        this.pending = undefined;
      }));
    if (this.value !== undefined && age < this.ttlMs + this.maxStaleMs) {
      refresh.catch((err: unknown) => this.warn(`Refreshing ${what} failed; serving the copy from ${Math.round(age / MINUTE)} minutes ago (${err instanceof Error ? err.message : String(err)})`));
      return Promise.resolve(this.value);
    }
    return refresh;
  }
}

export class CachedRoleDefinitions implements RoleDefinitions {
  private readonly builtInEntry: Entry<readonly RoleDefinition[]>;
  private readonly operationsEntry: Entry<readonly KnownOperation[]>;
  private readonly custom = new Map<string, Entry<readonly RoleDefinition[]>>();

  constructor(
    private readonly inner: RoleDefinitions,
    private readonly now: () => number,
    private readonly settings: RoleCatalogCacheSettings = ROLE_CATALOG_CACHE,
    private readonly warn: (message: string) => void = (m) => console.warn(m),
  ) {
    this.builtInEntry = new Entry(settings.builtInTtlMs, settings.maxStaleMs, now, warn);
    this.operationsEntry = new Entry(settings.operationsTtlMs, settings.maxStaleMs, now, warn);
  }

  builtIn(): Promise<readonly RoleDefinition[]> {
    return this.builtInEntry.get(() => this.inner.builtIn(), 'built-in role definitions');
  }

  operations(): Promise<readonly KnownOperation[]> {
    return this.operationsEntry.get(() => this.inner.operations(), 'provider operations');
  }

  customAt(scope: string): Promise<readonly RoleDefinition[]> {
    const key = scope.toLowerCase();
    let entry = this.custom.get(key);
    if (entry) {
      // Map order is insertion order: re-inserting marks the scope as recently used.
      this.custom.delete(key);
    } else {
      entry = new Entry(this.settings.customTtlMs, Math.min(this.settings.maxStaleMs, 2 * this.settings.customTtlMs), this.now, this.warn);
      while (this.custom.size >= this.settings.maxScopes) this.custom.delete(this.custom.keys().next().value as string);
    }
    this.custom.set(key, entry);
    return entry.get(() => this.inner.customAt(scope), `custom role definitions at ${scope}`);
  }
}
