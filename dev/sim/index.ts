/**
 * The simulated Azure control plane: one HTTPS server speaking ARM (role assignments, role
 * definitions, resources), Microsoft Graph v1.0 and a Teams connector to the real SDK
 * clients, seeded with the local tenant, emitting real-shaped Event Grid events to the
 * host's webhook.
 */
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { EventDelivery, type DeliveryRecord } from './events/delivery';
import { makeKnobs, SeededRandom, type SimKnobs } from './knobs';
import { ArmThrottle } from './arm/throttle';
import { MANAGED_IDENTITY_PATH } from './identity/managedIdentity';
import { createSimServer } from './server';
import { SimState } from './state';
import { installForAllUsers, SIM_BOT_APP_ID, type InstallResult } from './teams/install';
import { personalConversationId } from './teams/store';
import { startVaultDataPlane, type VaultDataPlane } from './keyvault/dataPlane';

export { simCredential, simClaimsFor, encodeSimToken } from './credential';
export { DEFAULT_KNOBS, type SimKnobs } from './knobs';
export { ARM_LIMITS } from './arm/throttle';
export { SimState } from './state';
export type { DeliveryRecord } from './events/delivery';
export type { EventGridEvent, ArmEventData } from './events/armEvent';
export type { TeamsActivityRecord } from './teams/store';
export type { InstallResult } from './teams/install';
export { SIM_BOT_APP_ID } from './teams/install';
export { personalConversationId, teamsUserId } from './teams/store';

export interface SimulatorOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  tls: { key: string; cert: string };
  /** The host's armEvents webhook, e.g. http://localhost:7071/runtime/webhooks/eventgrid?functionName=armEvents. */
  eventsWebhook?: string;
  knobs?: Partial<SimKnobs>;
  /** The token buckets' clock (ms); default the real one. */
  throttleClock?: () => number;
  /** Seed the local tenant (default true); false starts empty. */
  seed?: boolean;
  /** ARM's clock for createdOn/updatedOn (default: the real one). */
  now?: () => Date;
}

export interface SimulatorEvents {
  /** Successful deliveries so far (duplicates included). */
  delivered(): number;
  /** Deliveries buffered, delayed, retrying or in flight. */
  pending(): number;
  /** Delivery POSTs sent so far, retries included. */
  attempts(): number;
  /** Resolves when nothing is queued or in flight. */
  idle(): Promise<void>;
  /** The latest delivery records (event, attempts, outcome), oldest first. */
  recent(): readonly DeliveryRecord[];
  /** Points delivery at another webhook (or none) from now on. */
  setWebhook(url: string | undefined): void;
}

export interface SimulatorTeams {
  /** Sends Teams' installationUpdate for every user to the bot endpoint (e.g. http://localhost:7071/api/messages). */
  installForAllUsers(messagesUrl: string, botAppId?: string): Promise<InstallResult[]>;
  /** The personal conversation id of a user (exists from the seed on). */
  conversationIdFor(objectId: string): string;
  /** The connector's serviceUrl: `${url}/connector/`. */
  serviceUrl: string;
}

export interface Simulator {
  /** https://localhost:PORT */
  url: string;
  port: number;
  /** Mutable at runtime; changes apply to the next request or delivery. */
  knobs: SimKnobs;
  /** Direct access for tests: `state.assignments`, `state.directory`, `state.resources`, `state.teams`, `state.reset()`. */
  state: SimState;
  /** ARM's token buckets (active with the `armThrottle` knob): 429s answered per kind, `reset()`. */
  throttle: ArmThrottle;
  events: SimulatorEvents;
  /** Deliveries of the vaults' system topics (`Microsoft.KeyVault.*`) to the keyVaultEvents webhook. */
  keyVaultEvents: SimulatorEvents;
  teams: SimulatorTeams;
  /** The data-plane URL of a vault (`https://localhost:<port>/`), its server started on first use. */
  vaultUrl(vaultId: string): Promise<string>;
  /** App Service's managed identity endpoint for AccessManager's identity: set these as IDENTITY_ENDPOINT and IDENTITY_HEADER. */
  managedIdentity: { endpoint: string; header: string };
  stop(): Promise<void>;
}

export async function startSimulator(opts: SimulatorOptions): Promise<Simulator> {
  const knobs = makeKnobs(opts.knobs);
  const random = new SeededRandom(knobs);
  const state = new SimState(opts.seed ?? true);
  if (opts.now) state.now = opts.now;
  const delivery = new EventDelivery(knobs, random, opts.eventsWebhook, opts.tls.cert);
  const keyVaultDelivery = new EventDelivery(knobs, random, undefined, opts.tls.cert, 'ACCESSMANAGER-KEYVAULT-EVENTS');
  // Each vault's data plane gets a server of its own on first use: the SecretClient needs a vault at the root of an origin.
  const vaultPlanes: VaultDataPlane[] = [];
  state.keyVaults.setStarter(async (vaultId) => {
    const plane = await startVaultDataPlane({ tls: opts.tls, state, knobs, vaultId });
    vaultPlanes.push(plane);
    return plane.url;
  });
  state.keyVaults.setPublisher((event) => keyVaultDelivery.publish(event));
  let port = opts.port ?? 0;
  const throttle = new ArmThrottle(opts.throttleClock);
  const identityHeader = randomUUID();
  const server = createSimServer(opts.tls, { state, knobs, delivery, random, throttle, identityHeader }, () => `localhost:${port}`);

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, () => {
      server.off('error', reject);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;
  const url = `https://localhost:${port}`;
  const serviceUrl = `${url}/connector/`;

  let stopped: Promise<void> | undefined;
  return {
    url,
    port,
    knobs,
    state,
    throttle,
    events: eventsOf(delivery),
    keyVaultEvents: eventsOf(keyVaultDelivery),
    teams: {
      installForAllUsers: (messagesUrl, botAppId = SIM_BOT_APP_ID) => installForAllUsers(state, messagesUrl, serviceUrl, botAppId),
      conversationIdFor: (objectId) => personalConversationId(objectId),
      serviceUrl,
    },
    vaultUrl: (vaultId) => state.keyVaults.urlFor(vaultId, ''),
    managedIdentity: { endpoint: `${url}${MANAGED_IDENTITY_PATH}`, header: identityHeader },
    stop() {
      stopped ??= new Promise<void>((resolve) => {
        delivery.stop();
        keyVaultDelivery.stop();
        server.close(() => resolve());
        server.closeAllConnections();
      }).then(async () => {
        await Promise.all(vaultPlanes.map((p) => p.stop()));
      });
      return stopped;
    },
  };
}

function eventsOf(delivery: EventDelivery): SimulatorEvents {
  return {
    delivered: () => delivery.delivered(),
    pending: () => delivery.pending(),
    attempts: () => delivery.attempts(),
    idle: () => delivery.idle(),
    recent: () => delivery.recent(),
    setWebhook: (u) => delivery.setWebhook(u),
  };
}
