/**
 * The composition root: builds every SDK client and adapter once and wires them into Deps (the
 * ports the use cases see) and the App (Deps plus what only the shells need: the Teams bot's
 * runtime). Deployed, identities come from managed identity (DefaultAzureCredential) and
 * endpoints from configuration; the local host passes a credential and a CA for the simulator
 * and embedded store.
 */
import { AuthorizationManagementClient } from '@azure/arm-authorization';
import type { TokenCredential } from '@azure/core-auth';
import type { HttpClient, PipelinePolicy } from '@azure/core-rest-pipeline';
import { DefaultAzureCredential } from '@azure/identity';
import { Client as GraphClient } from '@microsoft/microsoft-graph-client';
import { Agent as UndiciAgent } from 'undici';
import { ArmRoleAssignments } from './adapters/arm/armRoleAssignments';
import { ArmPacer } from './adapters/arm/armPacer';
import { ArmRoleDefinitions } from './adapters/arm/armRoleDefinitions';
import { ArmGuardedResources } from './adapters/arm/armGuardedResources';
import { KeyVaultSecretInventory } from './adapters/keyvault/secretInventory';
import { GuardrailStateStore } from './adapters/cosmos/guardrailStateStore';
import { CachedRoleDefinitions } from './adapters/arm/cachedRoleDefinitions';
import { BreakerStore } from './adapters/cosmos/breakerStore';
import { CardStore } from './adapters/cosmos/cardStore';
import { createCosmosClient } from './adapters/cosmos/client';
import { CONTAINERS, ensureDatabase, type Stores } from './adapters/cosmos/containers';
import { ConversationStore } from './adapters/cosmos/conversationStore';
import { rememberPartitionKeyPath } from './adapters/cosmos/document';
import { GrantStore } from './adapters/cosmos/grantStore';
import { RequestStore } from './adapters/cosmos/requestStore';
import { SentKeys } from './adapters/cosmos/sentKeys';
import { toStoreError } from './adapters/cosmos/storeErrors';
import { GraphDirectory } from './adapters/graph/graphDirectory';
import { AuditLedger } from './adapters/ledger/ledger';
import { AzureOpenAiAdvisor } from './adapters/openai/azureOpenAiAdvisor';
import { loadPolicies } from './adapters/policyFiles';
import { RecordingNotifier } from './adapters/recordingNotifier';
import { createTeamsRuntime, teamsConfigured, type TeamsRuntime } from './adapters/teams/runtime';
import { TeamsNotifier } from './adapters/teams/teamsNotifier';
import { loadConfig, type Config } from './config';
import { ContainerClient, StorageSharedKeyCredential } from '@azure/storage-blob';
import { managementGroupDescendants } from './adapters/arm/managementGroups';
import { BlobAnchorSink } from './adapters/ledger/blobAnchorSink';
import { CosmosAnchorSink } from './adapters/ledger/cosmosAnchorSink';
import { RevocationIntentStore, RogueActorStore, SelfAccessStore } from './adapters/cosmos/enforcementState';
import { policySetEffectiveAt } from './adapters/cosmos/policyVersions';
import type { SecurityDestination } from './adapters/teams/teamsNotifier';
import type { ManagementGroupDescendants, PolicySet } from './domain/policy/policySet';
import { governedScopes, policiesOutside, type GovernedScopes } from './domain/governance';
import { scopeKey } from './domain/armIds';
import type { AnchorSink } from './ports/audit';
import { ConfigError } from './domain/errors';
import { checkSelfAccess } from './usecases/selfAccess';
import { systemClock, type Clock } from './domain/clock';
import type { Deps } from './ports/deps';
import type { Notifier } from './ports/notifier';

/** What the shells get: the ports, the bot's runtime (absent where the bot cannot run safely), and shutdown. */
export interface App {
  deps: Deps;
  teams: TeamsRuntime | undefined;
  /** Flushes and closes the audit chains. */
  close(): Promise<void>;
}

/** Measuring hooks a benchmark or test composes in; production passes none. */
export interface Instrumentation {
  /** Sends every request of the Cosmos SDK (e.g. counting each round-trip to the store). */
  cosmosHttpClient?: HttpClient;
  /** Extra pipeline policies for the ARM client (e.g. counting calls). */
  armPolicies?: PipelinePolicy[];
  /** Wraps a port after it is built (e.g. counting calls to the directory). */
  decorate?: <K extends keyof Deps>(name: K, port: Deps[K]) => Deps[K];
}

export interface RootOverrides {
  /** Identity for ARM, Graph and (without a key) Cosmos. Default: DefaultAzureCredential (managed identity). */
  credential?: TokenCredential;
  /** PEM certificate to trust for every endpoint (the local simulator's and embedded store's). */
  ca?: string;
  clock?: Clock;
  notifier?: Notifier;
  /** Tag in the audit chain ids of this process. */
  instanceTag?: string;
  /** How long an unfinished idempotent append holds its key before a retry takes over (default 10 s; crash tests shorten it). */
  auditLeaseMs?: number;
  /** Where the Teams bot fetches keys for tokens not signed by the Bot Framework (tests: a local key server). */
  botTokenAuthority?: string;
  instrument?: Instrumentation;
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
async function openStores(config: Config, credential: TokenCredential, ca: string | undefined, httpClient: HttpClient | undefined): Promise<Stores> {
  const client = createCosmosClient({ endpoint: config.COSMOS_ENDPOINT, key: config.COSMOS_KEY, credential, ca, httpClient });
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

/** Where chain heads are anchored: the Cosmos state container, and the append-blob container when configured. */
function anchorSinks(config: Config, credential: TokenCredential, stores: Stores): AnchorSink[] {
  const sinks: AnchorSink[] = [new CosmosAnchorSink(stores.state)];
  if (config.AUDIT_ANCHOR_CONTAINER_URL) {
    const url = new URL(config.AUDIT_ANCHOR_CONTAINER_URL);
    // Azurite's URL carries the account name as its first path segment; Azure's host does.
    const account = url.hostname.endsWith('.blob.core.windows.net') ? url.hostname.split('.')[0]! : (url.pathname.split('/').filter(Boolean)[0] ?? '');
    const blobCredential = config.AUDIT_ANCHOR_ACCOUNT_KEY ? new StorageSharedKeyCredential(account, config.AUDIT_ANCHOR_ACCOUNT_KEY) : credential;
    sinks.push(new BlobAnchorSink(new ContainerClient(config.AUDIT_ANCHOR_CONTAINER_URL, blobCredential, { retryOptions: { maxTries: 3 } })));
  }
  return sinks;
}

export async function buildApp(config: Config, overrides: RootOverrides = {}): Promise<App> {
  const clock = overrides.clock ?? systemClock;
  const instrument = overrides.instrument ?? {};
  const decorate = instrument.decorate ?? (<K extends keyof Deps>(_name: K, port: Deps[K]) => port);
  const credential = overrides.credential ?? new DefaultAzureCredential(config.AZURE_CLIENT_ID ? { managedIdentityClientId: config.AZURE_CLIENT_ID } : {});
  const loaded = (await loadPolicies(config.POLICIES_DIR)).withStandingExemptions(
    config.BREAKGLASS_PRINCIPAL_IDS.map((id) => ({ id, reason: 'break-glass account (BREAKGLASS_PRINCIPAL_IDS): never revoked' })),
  );
  const stores = await openStores(config, credential, overrides.ca, instrument.cosmosHttpClient);
  // ARM's throttling budget, shared by every ARM call of this instance: the SDK's retry policy honours Retry-After; the pacer spends the budget by priority.
  const pacer = new ArmPacer();
  const arm = new AuthorizationManagementClient(credential, config.AZURE_SUBSCRIPTION_ID, {
    endpoint: config.ARM_ENDPOINT,
    // Fail fast and let Event Grid (or the timer) redeliver: the SDK's default back-off can outlast Event Grid's 30 s wait.
    // A 429 is retried after its Retry-After by the same policy (throttlingRetryStrategy), within these retries.
    retryOptions: { maxRetries: 3, retryDelayInMs: 200, maxRetryDelayInMs: 2000 },
    ...(overrides.ca ? { tlsOptions: { ca: overrides.ca } } : {}),
    additionalPolicies: [
      ...(instrument.armPolicies ?? []).map((policy) => ({ policy, position: 'perCall' as const })),
      { policy: pacer.policy(), position: 'perRetry' as const },
    ],
  });
  // A policy that governs a management group reaches the subscriptions under it: ask ARM which.
  const tree = new Map<string, ManagementGroupDescendants>();
  for (const scope of loaded.managementGroupScopes()) tree.set(scope, await managementGroupDescendants(arm, config.ARM_ENDPOINT, scope));
  const policies = tree.size > 0 ? loaded.withManagementGroups(tree) : loaded;
  const governed = await resolveGovernedScopes(config, policies, tree, (scope) => managementGroupDescendants(arm, config.ARM_ENDPOINT, scope));
  const audit = decorate(
    'audit',
    new AuditLedger({
      audit: stores.audit,
      state: stores.state,
      now: () => clock.now(),
      leaseNow: () => new Date(),
      ...(overrides.auditLeaseMs !== undefined ? { leaseMs: overrides.auditLeaseMs } : {}),
      instanceTag: overrides.instanceTag,
      anchorSinks: anchorSinks(config, credential, stores),
    }),
  );
  const directory = decorate('directory', new GraphDirectory(graphClient(config, credential, overrides.ca)));
  const requests = decorate('requests', new RequestStore(stores.requests));
  const grants = decorate('grants', new GrantStore(stores.grants, stores.coverage));
  const conversations = decorate('conversations', new ConversationStore(stores.state));
  const teams = createTeamsRuntime(config, { credential, ca: overrides.ca, tokenAuthority: overrides.botTokenAuthority });
  const security = securityDestination(config, policies);
  const notifier =
    overrides.notifier ??
    (teams && teamsConfigured(config)
      ? new TeamsNotifier({ requests, grants, conversations, cards: new CardStore(stores.state), sentKeys: new SentKeys(stores.state), policies, directory, clock, config, security }, teams.connector)
      : new RecordingNotifier());
  const deps: Deps = {
    config,
    clock,
    policies,
    requests,
    grants,
    breakers: decorate('breakers', new BreakerStore(stores.state)),
    selfAccess: new SelfAccessStore(stores.state),
    revocations: decorate('revocations', new RevocationIntentStore(stores.state, { now: () => clock.now(), ...(overrides.auditLeaseMs !== undefined ? { leaseMs: overrides.auditLeaseMs } : {}) })),
    rogueActors: decorate('rogueActors', new RogueActorStore(stores.state)),
    policySetEffectiveAt: await policySetEffectiveAt(stores.state, policies.fingerprint(), clock.now()),
    audit,
    conversations,
    roleAssignments: decorate('roleAssignments', new ArmRoleAssignments(arm, config.ARM_ENDPOINT)),
    guardrails: decorate('guardrails', {
      resources: new ArmGuardedResources({ credential, endpoint: config.ARM_ENDPOINT, ca: overrides.ca, policies: instrument.armPolicies }),
      states: new GuardrailStateStore(stores.state),
      // Locally the simulator's vaults answer at https://localhost:<port>; deployed only Key Vault DNS names are trusted.
      secrets: new KeyVaultSecretInventory({ credential, ca: overrides.ca, localVaults: config.ACCESSMANAGER_ENV === 'local' }),
    }),
    roleDefinitions: new CachedRoleDefinitions(decorate('roleDefinitions', new ArmRoleDefinitions(arm)), () => clock.now().getTime()),
    advisor: decorate(
      'advisor',
      config.AZURE_OPENAI_ENDPOINT && config.AZURE_OPENAI_DEPLOYMENT
        ? new AzureOpenAiAdvisor({ endpoint: config.AZURE_OPENAI_ENDPOINT, deployment: config.AZURE_OPENAI_DEPLOYMENT, apiVersion: config.AZURE_OPENAI_API_VERSION, credential, ca: overrides.ca })
        : undefined,
    ),
    directory,
    notifier: decorate('notifier', notifier),
    pingStore: async () => {
      await stores.database.read().catch((err: unknown) => {
        throw toStoreError(err, `database ${config.COSMOS_DATABASE}`);
      });
    },
    appPrincipalId: config.ACCESSMANAGER_PRINCIPAL_ID.toLowerCase(),
    governed,
    pacing: pacer,
  };
  // Start-up check of AccessManager's own permission: records a loss found now, and learns its own
  // assignments so a later delete of one is recognised. Best effort: ARM may be briefly unreachable.
  await checkSelfAccess(deps, { noticedWhile: 'starting' }).catch((err: unknown) => console.warn(`AccessManager could not check its own permission at start-up: ${err instanceof Error ? err.message : String(err)}`));
  return { deps, teams, close: () => audit.close() };
}

/**
 * The governed scopes from configuration (and ARM, for a management group). A policy naming a
 * scope outside them stops start-up: it would decide where AccessManager may not act.
 */
async function resolveGovernedScopes(
  config: Config,
  policies: PolicySet,
  tree: ReadonlyMap<string, ManagementGroupDescendants>,
  descendants: (scope: string) => Promise<ManagementGroupDescendants>,
): Promise<GovernedScopes> {
  const group = config.GOVERNED_MANAGEMENT_GROUP;
  const below = group ? (tree.get(group) ?? [...tree].find(([scope]) => scopeKey(scope) === scopeKey(group))?.[1] ?? (await descendants(group))) : undefined;
  const governed = governedScopes({
    defaultSubscription: config.AZURE_SUBSCRIPTION_ID,
    subscriptions: config.GOVERNED_SUBSCRIPTION_IDS,
    ...(group && below ? { managementGroup: { scope: group, subscriptions: below.subscriptions, groups: below.groups } } : {}),
    policyReach: { scopes: policies.policies.map((p) => p.scope), subscriptions: policies.governedSubscriptions() },
  });
  const outside = policiesOutside(governed, policies.policies);
  if (outside.length > 0) {
    throw new ConfigError(
      `AccessManager configuration is invalid:\n  policies name scopes outside the governed ones (GOVERNED_MANAGEMENT_GROUP, GOVERNED_SUBSCRIPTION_IDS, AZURE_SUBSCRIPTION_ID): ${outside.join(', ')}`,
    );
  }
  return governed;
}

/**
 * Where security alerts go, which must always exist: the policies' channels, SECURITY_TEAMS_CHANNEL,
 * and the 1:1 chats of SECURITY_CONTACTS (default: the approvers of the broadest policies).
 */
function securityDestination(config: Config, policies: PolicySet): SecurityDestination {
  const contacts = config.SECURITY_CONTACTS.length > 0 ? config.SECURITY_CONTACTS.map((c) => c.toLowerCase()) : policies.broadestApprovers();
  if (contacts.length === 0 && !config.SECURITY_TEAMS_CHANNEL && !policies.policies.some((p) => p.notify?.teamsChannel)) {
    throw new ConfigError('AccessManager configuration is invalid:\n  SECURITY_CONTACTS is missing: security alerts need somewhere to go (object ids of users or groups), and no policy names approvers or a channel.');
  }
  return { contacts, ...(config.SECURITY_TEAMS_CHANNEL ? { channel: config.SECURITY_TEAMS_CHANNEL } : {}) };
}

/**
 * Builds the App on first use and shares it. A failed build (store unreachable at cold start) is
 * forgotten so the next invocation tries again; a configuration error fails every call with its message.
 */
export function lazyApp(env: () => Record<string, string | undefined>, overrides: RootOverrides = {}): (() => Promise<App>) & { ifBuilt(): Promise<App> | undefined } {
  let pending: Promise<App> | undefined;
  const get = () => {
    pending ??= Promise.resolve()
      .then(() => buildApp(loadConfig(env()), overrides))
      .catch((err: unknown) => {
        pending = undefined;
        throw err;
      });
    return pending;
  };
  // For shutdown: the App if one was built (or is being built), without building one.
  return Object.assign(get, { ifBuilt: () => pending });
}
