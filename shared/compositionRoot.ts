/**
 * The composition root: builds every SDK client and adapter once and wires them into Deps.
 * Deployed, identities come from managed identity (DefaultAzureCredential) and endpoints from
 * configuration; the local host passes a credential and a CA for the simulator and embedded store.
 */
import { AuthorizationManagementClient } from '@azure/arm-authorization';
import type { TokenCredential } from '@azure/core-auth';
import { DefaultAzureCredential } from '@azure/identity';
import { Client as GraphClient } from '@microsoft/microsoft-graph-client';
import { Agent as UndiciAgent } from 'undici';
import { ArmRoleAssignments } from './adapters/arm/armRoleAssignments';
import { GraphDirectory } from './adapters/graph/graphDirectory';
import { AuditLedger } from './adapters/ledger';
import { systemClock, type Clock } from './domain/clock';
import { loadConfig, type Config } from './config';
import { RecordingNotifier, type Notifier } from './ports/notifier';
import { loadPolicies } from './domain/policy';
import { createCosmosClient } from './adapters/cosmos/client';
import { TeamsNotifier } from './adapters/teams/teamsNotifier';
import { attachTeamsRuntime, createTeamsRuntime, teamsConfigured } from './adapters/teams/runtime';
import { CONTAINERS, ensureDatabase, type Stores } from './adapters/cosmos/containers';
import { rememberPartitionKeyPath } from './adapters/cosmos/document';
import type { Deps } from './ports/deps';

export interface RootOverrides {
  /** Identity for ARM, Graph and (without a key) Cosmos. Default: DefaultAzureCredential (managed identity). */
  credential?: TokenCredential;
  /** PEM certificate to trust for every endpoint (the local simulator's and embedded store's). */
  ca?: string;
  clock?: Clock;
  notifier?: Notifier;
  /** Tag in the audit chain ids of this process. */
  instanceTag?: string;
  /** Where the Teams bot fetches keys for tokens not signed by the Bot Framework (tests: a local key server). */
  botTokenAuthority?: string;
}

function graphClient(config: Config, credential: TokenCredential, ca: string | undefined): GraphClient {
  const base = new URL(config.GRAPH_ENDPOINT);
  return GraphClient.initWithMiddleware({
    authProvider: {
      getAccessToken: async () => {
        const token = await credential.getToken(`${base.origin}/.default`);
        if (!token) throw new Error('No token for Microsoft Graph from the configured identity.');
        return token.token;
      },
    },
    // The client appends /v1.0 itself; customHosts lets it attach the token to a non-Graph host (the simulator).
    baseUrl: `${base.origin}/`,
    customHosts: new Set([base.hostname]),
    // Node's fetch ignores `agent`: trust for a local CA travels through an undici dispatcher.
    ...(ca ? { fetchOptions: { dispatcher: new UndiciAgent({ connect: { ca } }) } as RequestInit } : {}),
  });
}

/**
 * Stores: locally (or with an account key) the database and containers are created when missing;
 * with managed identity they must already exist (infra/ creates them; data-plane RBAC cannot).
 */
async function openStores(config: Config, credential: TokenCredential, ca: string | undefined): Promise<Stores> {
  const client = createCosmosClient({ endpoint: config.COSMOS_ENDPOINT, key: config.COSMOS_KEY, credential, ca });
  if (config.COSMOS_KEY) return ensureDatabase(client, config.COSMOS_DATABASE);
  const database = client.database(config.COSMOS_DATABASE);
  const stores: Record<string, unknown> = { database };
  for (const c of CONTAINERS) {
    const container = database.container(c.name);
    rememberPartitionKeyPath(container, c.partitionKey);
    stores[c.name] = container;
  }
  return stores as Stores;
}

export async function buildDeps(config: Config, overrides: RootOverrides = {}): Promise<Deps> {
  const clock = overrides.clock ?? systemClock;
  const credential = overrides.credential ?? new DefaultAzureCredential(config.AZURE_CLIENT_ID ? { managedIdentityClientId: config.AZURE_CLIENT_ID } : {});
  const policies = (await loadPolicies(config.POLICIES_DIR)).withStandingExemptions(
    config.BREAKGLASS_PRINCIPAL_IDS.map((id) => ({ id, reason: 'break-glass account (BREAKGLASS_PRINCIPAL_IDS): never revoked' })),
  );
  const stores = await openStores(config, credential, overrides.ca);
  const arm = new AuthorizationManagementClient(credential, config.AZURE_SUBSCRIPTION_ID, {
    endpoint: config.ARM_ENDPOINT,
    // Fail fast and let Event Grid (or the timer) redeliver: the SDK's default back-off can outlast Event Grid's 30 s wait.
    retryOptions: { maxRetries: 3, retryDelayInMs: 200, maxRetryDelayInMs: 2000 },
    ...(overrides.ca ? { tlsOptions: { ca: overrides.ca } } : {}),
  });
  const audit = new AuditLedger({ audit: stores.audit, state: stores.state, now: () => clock.now(), instanceTag: overrides.instanceTag });
  const directory = new GraphDirectory(graphClient(config, credential, overrides.ca));
  const teams = createTeamsRuntime(config, { credential, ca: overrides.ca, tokenAuthority: overrides.botTokenAuthority });
  const deps: Deps = {
    config,
    clock,
    stores,
    policies,
    roleAssignments: new ArmRoleAssignments(arm),
    directory,
    audit,
    notifier:
      overrides.notifier ??
      (teams && teamsConfigured(config) ? new TeamsNotifier({ stores, policies, directory, clock, config }, teams.connector) : new RecordingNotifier()),
    appPrincipalId: config.ACCESSMANAGER_PRINCIPAL_ID.toLowerCase(),
    close: async () => {
      await audit.close();
    },
  };
  if (teams) attachTeamsRuntime(deps, teams);
  return deps;
}

/**
 * Builds Deps on first use and shares them. A failed build (store unreachable at cold start) is
 * forgotten so the next invocation tries again; a configuration error fails every call with its message.
 */
export function lazyDeps(env: () => Record<string, string | undefined>, overrides: RootOverrides = {}): () => Promise<Deps> {
  let pending: Promise<Deps> | undefined;
  return () => {
    pending ??= Promise.resolve()
      .then(() => buildDeps(loadConfig(env()), overrides))
      .catch((err: unknown) => {
        pending = undefined;
        throw err;
      });
    return pending;
  };
}
