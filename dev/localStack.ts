/**
 * The whole local installation in one process: the embedded Cosmos DB, the simulated Azure
 * tenant, and the local Functions host serving the registration table with real SDK clients
 * pointed at both. `npm start`, the demo, the end-to-end tests and the benchmarks use it.
 */
import type { Deps } from '../shared/ports/deps';
import { buildApp, type App, type Instrumentation } from '../shared/compositionRoot';
import { createCosmosClient } from '../shared/adapters/cosmos/client';
import { ensureDatabase, type Stores } from '../shared/adapters/cosmos/containers';
import type { Clock } from '../shared/domain/clock';
import { loadConfig } from '../shared/config';
import type { Notifier } from '../shared/ports/notifier';
import { LOCAL_SUBSCRIPTION_ID, LOCAL_TENANT_ID, PEOPLE } from './tenant';
import { functionTable } from '../functions/table';
import { startEmbeddedCosmos, type EmbeddedCosmos } from './cosmos';
import { startHost, type LocalHost } from './host';
import { appRoutePrefix } from './host/hostJson';
import { AuthEmulation } from './host/authEmulation';
import { LOCAL_USERS } from './localUsers';
import { simCredential, startSimulator, type SimKnobs, type Simulator } from './sim';
import { generateLocalTls } from './tls';
import { startEmbeddedAzurite, type EmbeddedAzurite } from './azurite';

/** The blob container of audit anchors in the embedded Azurite. */
export const ANCHOR_CONTAINER = 'audit-anchors';

/** The chat model deployment the local stack asks (the simulator answers for any name). */
export const SIM_OPENAI_DEPLOYMENT = 'gpt-4o-sim';

export interface LocalStackOptions {
  /** Host port; 0 = any free port (tests). Default 7071. */
  port?: number;
  simPort?: number;
  cosmosPort?: number;
  /** Use this Cosmos account instead of the embedded one. */
  cosmosEndpoint?: string;
  cosmosKey?: string;
  cosmosDatabase?: string;
  policiesDir?: string;
  runTimers?: boolean;
  clock?: Clock;
  notifier?: Notifier;
  knobs?: Partial<SimKnobs>;
  log?: (line: string) => void;
  /** Extra settings (e.g. BOT_APP_ID) merged into the configuration. */
  settings?: Record<string, string>;
  /** Where the Teams bot fetches token signing keys (tests of JWT validation: a local key server). */
  botTokenAuthority?: string;
  /** Counting hooks (benchmarks). */
  instrument?: Instrumentation;
  /** Shapes the simulated tenant before the app starts (e.g. the scale benchmark's many subscriptions, read from ARM at start-up). */
  prepareTenant?: (sim: Simulator) => void | Promise<void>;
  /**
   * Anchor the audit chains in append blobs too, in an embedded Azurite (as deployed against an
   * Azure Storage container). `npm start` does; tests opt in (Azurite takes ~0.6 s to load).
   */
  anchorBlobs?: boolean;
  /** Azurite's port when `anchorBlobs` (0: a free one). */
  azuritePort?: number;
}

export interface LocalStack {
  url: string;
  host: LocalHost;
  sim: Simulator;
  cosmos?: EmbeddedCosmos;
  /** The embedded blob service holding audit anchors, when `anchorBlobs`. */
  azurite?: EmbeddedAzurite;
  app: App;
  /** The app's ports (`app.deps`). */
  deps: Deps;
  /** The database's containers through a client of their own: for tests and benchmarks to read (or tamper with) what the app stored. */
  containers: Stores;
  /** PEM certificate of the local servers (trust it to talk to the simulator or store). */
  ca: string;
  stop(): Promise<void>;
}

/** Who is who, on the local sign-in page. */
const LOCAL_USER_NOTES: Record<string, string> = {
  alice: 'researcher',
  bob: 'weights approver',
  carol: 'weights approver',
  erin: 'security team, AccessManager admin',
  dave: 'subscription owner',
  mallory: 'nobody approved anything for her',
};

export async function startLocalStack(opts: LocalStackOptions = {}): Promise<LocalStack> {
  const tls = await generateLocalTls();
  const started: Array<() => Promise<void>> = [];
  const stopAll = async () => {
    for (const stop of started.reverse()) await stop().catch(() => undefined);
  };
  try {
    const cosmos = opts.cosmosEndpoint ? undefined : await startEmbeddedCosmos({ port: opts.cosmosPort ?? 8081, tls });
    if (cosmos) started.push(() => cosmos.stop());
    const sim = await startSimulator({ port: opts.simPort ?? 7072, tls, knobs: opts.knobs });
    started.push(() => sim.stop());
    await opts.prepareTenant?.(sim);
    const azurite = opts.anchorBlobs ? await startEmbeddedAzurite({ port: opts.azuritePort ?? 0 }) : undefined;
    if (azurite) started.push(() => azurite.stop());

    // The host comes up first so its real address (port 0 picks one) can go into PUBLIC_BASE_URL;
    // calls that arrive before the dependencies are built simply wait for them.
    let provide!: (app: App) => void;
    let refuse!: (err: unknown) => void;
    const appReady = new Promise<App>((resolve, reject) => {
      provide = resolve;
      refuse = reject;
    });
    appReady.catch(() => undefined);
    const host = await startHost({
      port: opts.port ?? 7071,
      functions: functionTable(() => appReady),
      routePrefix: appRoutePrefix(),
      // Browsers sign in as App Service authentication would let them; never in azure mode.
      ...((opts.settings?.ACCESSMANAGER_ENV ?? 'local') === 'local' ? { auth: new AuthEmulation({ users: LOCAL_USERS.map((u) => ({ ...u, note: LOCAL_USER_NOTES[u.login] })) }) } : {}),
      runTimers: opts.runTimers ?? false,
      log: opts.log,
    });
    let app: App;
    let config: ReturnType<typeof loadConfig>;
    try {
      config = loadConfig({
        ACCESSMANAGER_ENV: 'local',
        AZURE_TENANT_ID: LOCAL_TENANT_ID,
        AZURE_SUBSCRIPTION_ID: LOCAL_SUBSCRIPTION_ID,
        ACCESSMANAGER_PRINCIPAL_ID: PEOPLE.accessManager,
        BREAKGLASS_PRINCIPAL_IDS: PEOPLE.breakglass,
        COSMOS_ENDPOINT: opts.cosmosEndpoint ?? cosmos!.endpoint,
        COSMOS_KEY: opts.cosmosKey ?? cosmos?.key,
        COSMOS_DATABASE: opts.cosmosDatabase ?? 'accessmanager',
        ARM_ENDPOINT: sim.url,
        GRAPH_ENDPOINT: sim.url,
        TEAMS_CONNECTOR_ENDPOINT: sim.teams.serviceUrl,
        POLICIES_DIR: opts.policiesDir ?? 'policies',
        PUBLIC_BASE_URL: host.url,
        ...(azurite ? { AUDIT_ANCHOR_CONTAINER_URL: `${azurite.accountUrl}/${ANCHOR_CONTAINER}`, AUDIT_ANCHOR_ACCOUNT_KEY: azurite.accountKey } : {}),
        // The simulator serves an Azure OpenAI-compatible deployment; a test turns it off with AZURE_OPENAI_ENDPOINT: ''.
        AZURE_OPENAI_ENDPOINT: sim.url,
        AZURE_OPENAI_DEPLOYMENT: SIM_OPENAI_DEPLOYMENT,
        ...opts.settings,
      });
      app = await buildApp(config, {
        credential: simCredential(PEOPLE.accessManager),
        ca: opts.cosmosEndpoint ? undefined : tls.cert,
        clock: opts.clock,
        notifier: opts.notifier,
        instanceTag: 'local',
        botTokenAuthority: opts.botTokenAuthority,
        instrument: opts.instrument,
      });
    } catch (err) {
      refuse(err);
      await host.stop();
      throw err;
    }
    provide(app);
    const containers = await ensureDatabase(
      createCosmosClient({ endpoint: config.COSMOS_ENDPOINT, key: config.COSMOS_KEY, ca: opts.cosmosEndpoint ? undefined : tls.cert, httpClient: opts.instrument?.cosmosHttpClient }),
      config.COSMOS_DATABASE,
    );
    started.push(() => app.close());
    started.push(() => host.stop());
    sim.events.setWebhook(`${host.url}/runtime/webhooks/eventgrid?functionName=armEvents`);
    sim.keyVaultEvents.setWebhook(`${host.url}/runtime/webhooks/eventgrid?functionName=keyVaultEvents`);
    // Teams installs the app for everyone, so each person has a 1:1 chat with the bot. The simulator
    // cannot sign Bot Framework tokens: with a BOT_APP_ID, tests install with signed activities themselves.
    if (!config.BOT_APP_ID) await sim.teams.installForAllUsers(`${host.url}/api/messages`);
    return { url: host.url, host, sim, cosmos, azurite, app, deps: app.deps, containers, ca: tls.cert, stop: stopAll };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
