/**
 * Builds the one `CosmosClient` of a process (the composition root calls this once): account key
 * or Entra credential, and, for the embedded server, trust in our locally generated certificate.
 */
import https from 'node:https';
import type { HttpClient } from '@azure/core-rest-pipeline';
import { CosmosClient, type CosmosClientOptions } from '@azure/cosmos';
import { ConfigError } from '../../domain/errors';

/** The credential type @azure/cosmos accepts (an @azure/identity credential), without a direct dependency on @azure/core-auth. */
export type TokenCredential = NonNullable<CosmosClientOptions['aadCredentials']>;

export interface CosmosClientSettings {
  endpoint: string;
  /** Account key; omit it to authenticate with `credential` (Cosmos data-plane RBAC). */
  key?: string;
  credential?: TokenCredential;
  /** PEM certificate to trust (the embedded server's self-signed one). */
  ca?: string;
  /** Sends the SDK's HTTP requests (default: the SDK's own); a benchmark passes one that counts them. */
  httpClient?: HttpClient;
}

export function createCosmosClient(settings: CosmosClientSettings): CosmosClient {
  const options: CosmosClientOptions = {
    endpoint: settings.endpoint,
    connectionPolicy: {
      // Event Grid waits 30 s for an answer and redelivers on failure: give up on a slow or
      // throttled store well before that (SDK defaults: 60 s timeout, 30 s of 429 retries) so the
      // handler fails as transient and the delivery is retried instead of timing out.
      requestTimeout: 10_000,
      retryOptions: { maxRetryAttemptCount: 5, maxWaitTimeInSeconds: 10 },
    },
  };
  if (settings.httpClient) options.httpClient = settings.httpClient;
  if (settings.key) options.key = settings.key;
  else if (settings.credential) options.aadCredentials = settings.credential;
  else throw new ConfigError(`Cosmos DB at ${settings.endpoint} needs a key (COSMOS_KEY) or a managed identity credential.`);
  if (settings.ca) {
    // @azure/cosmos ignores tlsOptions: trust travels only through an https.Agent. The same agent
    // also serves the 127.0.0.1 endpoint that discovery switches to, hence the IP SAN on our cert.
    options.agent = new https.Agent({ ca: settings.ca, keepAlive: true });
  }
  return new CosmosClient(options);
}
