/**
 * The simulated vaults' data plane state: secrets with their versions and attributes, where each
 * vault's data plane listens (one HTTPS server per vault, so the real SecretClient sees a vault
 * at the root of its own origin as it does in Azure), and where Key Vault events go. Secrets are
 * cleared by `SimState.reset()`; the servers keep running.
 */
import { randomBytes } from 'node:crypto';
import { scopeKey } from '../../../shared/domain/armIds';
import type { EventGridEvent } from '../events/armEvent';

export interface SimSecretVersion {
  version: string;
  value: string;
  contentType?: string;
  tags: Record<string, string>;
  enabled: boolean;
  /** Unix seconds. */
  nbf?: number;
  exp?: number;
  created: number;
  updated: number;
  /** Event types already emitted for this version by the expiry check (near expiry, expired). */
  notified: string[];
}

export interface SimSecret {
  name: string;
  /** Oldest first; the last is the current version. */
  versions: SimSecretVersion[];
}

export class SimKeyVaults {
  private readonly secrets = new Map<string, Map<string, SimSecret>>();
  private readonly urls = new Map<string, string>();
  private starter: ((vaultId: string) => Promise<string>) | undefined;
  private publisher: ((event: EventGridEvent) => void) | undefined;

  /** Forgets every secret (SimState.reset). */
  clearSecrets(): void {
    this.secrets.clear();
  }

  /** How a vault's data plane is started (the simulator's servers); without one, vaults keep their Azure URI. */
  setStarter(start: (vaultId: string) => Promise<string>): void {
    this.starter = start;
  }

  setPublisher(publish: ((event: EventGridEvent) => void) | undefined): void {
    this.publisher = publish;
  }

  publish(event: EventGridEvent): void {
    this.publisher?.(event);
  }

  /** The data-plane URL of a vault (`https://localhost:<port>/`), starting its server on first use. */
  async urlFor(vaultId: string, fallback: string): Promise<string> {
    const key = scopeKey(vaultId);
    const known = this.urls.get(key);
    if (known) return known;
    if (!this.starter) return fallback;
    const url = await this.starter(vaultId);
    this.urls.set(key, url);
    return url;
  }

  /** The data-plane URL of a vault, if its server was started. */
  urlKnown(vaultId: string): string | undefined {
    return this.urls.get(scopeKey(vaultId));
  }

  secretsOf(vaultId: string): Map<string, SimSecret> {
    const key = scopeKey(vaultId);
    let found = this.secrets.get(key);
    if (!found) {
      found = new Map();
      this.secrets.set(key, found);
    }
    return found;
  }

  /** Adds a version (a new secret or a new version of one); returns it. */
  setSecret(vaultId: string, name: string, input: Omit<SimSecretVersion, 'version' | 'created' | 'updated' | 'notified'>, now = Date.now()): SimSecretVersion {
    const secrets = this.secretsOf(vaultId);
    const key = name.toLowerCase();
    let secret = secrets.get(key);
    if (!secret) {
      secret = { name, versions: [] };
      secrets.set(key, secret);
    }
    const seconds = Math.floor(now / 1000);
    const version: SimSecretVersion = { ...input, version: randomBytes(16).toString('hex'), created: seconds, updated: seconds, notified: [] };
    secret.versions.push(version);
    return version;
  }
}
