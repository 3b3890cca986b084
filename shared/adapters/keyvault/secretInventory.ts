/**
 * SecretInventory with the real `@azure/keyvault-secrets` client: only the listing calls, which
 * return metadata (name, version, enabled, created, nbf, exp) and never a value, so the identity
 * needs no more than read-metadata on the vault. A client per vault URI, built on first use.
 *
 * The vault URI comes from ARM, never from an event. Deployed, it must be a Key Vault DNS name:
 * the client sends a bearer token to it, so an unexpected host is refused before any call.
 */
import type { TokenCredential } from '@azure/core-auth';
import { SecretClient, type SecretProperties } from '@azure/keyvault-secrets';
import { ValidationError } from '../../domain/errors';
import type { SecretMetadata } from '../../domain/guardrails/secrets';
import type { SecretInventory } from '../../ports/guardrails';
import { toAzureError } from '../arm/armErrors';

/** Key Vault's DNS suffixes in the public and sovereign clouds. */
const VAULT_HOSTS = ['.vault.azure.net', '.vault.azure.cn', '.vault.usgovcloudapi.net', '.vault.microsoftazure.de'];

export interface SecretInventorySettings {
  credential: TokenCredential;
  /** Local mode: the simulator's vaults live at https://localhost:<port> (no Key Vault DNS name, so no challenge resource check). */
  localVaults?: boolean;
  ca?: string;
}

function toMetadata(p: SecretProperties): SecretMetadata {
  return {
    name: p.name,
    ...(p.version ? { version: p.version } : {}),
    enabled: p.enabled !== false,
    ...(p.createdOn ? { createdOn: p.createdOn } : {}),
    ...(p.notBefore ? { notBefore: p.notBefore } : {}),
    ...(p.expiresOn ? { expiresOn: p.expiresOn } : {}),
  };
}

export class KeyVaultSecretInventory implements SecretInventory {
  private readonly clients = new Map<string, SecretClient>();

  constructor(private readonly settings: SecretInventorySettings) {}

  private client(vaultUri: string): SecretClient {
    let url: URL;
    try {
      url = new URL(vaultUri);
    } catch {
      throw new ValidationError(`The vault URI ${JSON.stringify(vaultUri.slice(0, 200))} is not a URL`, 'VaultUriInvalid');
    }
    const local = this.settings.localVaults === true && url.hostname === 'localhost';
    if (url.protocol !== 'https:' || (!local && !VAULT_HOSTS.some((suffix) => url.hostname.toLowerCase().endsWith(suffix)))) {
      throw new ValidationError(`The vault URI ${url.origin} is not a Key Vault endpoint: no token is sent there`, 'VaultUriInvalid');
    }
    const key = url.origin.toLowerCase();
    let client = this.clients.get(key);
    if (!client) {
      client = new SecretClient(url.origin, this.settings.credential, {
        retryOptions: { maxRetries: 3, retryDelayInMs: 200, maxRetryDelayInMs: 2000 },
        ...(local ? { disableChallengeResourceVerification: true } : {}),
        ...(this.settings.ca ? { tlsOptions: { ca: this.settings.ca } } : {}),
      });
      this.clients.set(key, client);
    }
    return client;
  }

  async *list(vaultUri: string): AsyncIterable<SecretMetadata[]> {
    try {
      for await (const page of this.client(vaultUri).listPropertiesOfSecrets().byPage()) yield page.map(toMetadata);
    } catch (err) {
      throw toAzureError(err, `Listing the secrets of ${vaultUri}`);
    }
  }

  async *versions(vaultUri: string, name: string): AsyncIterable<SecretMetadata[]> {
    try {
      for await (const page of this.client(vaultUri).listPropertiesOfSecretVersions(name).byPage()) yield page.map(toMetadata);
    } catch (err) {
      throw toAzureError(err, `Listing the versions of secret ${name} in ${vaultUri}`);
    }
  }
}
