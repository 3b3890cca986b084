/**
 * The Teams bot's runtime: the Agents SDK adapter (inbound JWT validation, outbound connector)
 * and the card connector built on it. The composition root builds it once, so the `messages`
 * function and the notifier share one adapter.
 */
import type { TokenCredential } from '@azure/core-auth';
import { ClientAssertionCredential } from '@azure/identity';
import type { CloudAdapter } from '@microsoft/agents-hosting';
import type { Config } from '../../config';
import { ConfigError, TransientError } from '../../domain/errors';
import { AgentsTeamsConnector } from './agentsConnector';
import { createBotAdapter, trustForBotConnector } from './botAdapter';
import type { TeamsConnector } from './connector';

/** How the bot names itself outbound when no app id is configured (local, anonymous). */
const LOCAL_BOT_ID = 'accessmanager-local-bot';

export interface TeamsRuntime {
  adapter: CloudAdapter;
  connector: TeamsConnector;
  /** Activities without a Bot Framework token are accepted: local mode without BOT_APP_ID, never in Azure. */
  allowsAnonymous: boolean;
}

export interface TeamsRuntimeOptions {
  /** The app's own identity (managed identity deployed, the simulator's locally). */
  credential: TokenCredential;
  /** PEM of a local CA the connector endpoint uses (the simulator's). */
  ca?: string;
  /** Overrides where non-Bot-Framework token signing keys come from (tests: a local key server). */
  tokenAuthority?: string;
}

/** Cards go to Teams (instead of the recording notifier) when a bot app id or a connector endpoint is configured. */
export function teamsConfigured(config: Pick<Config, 'BOT_APP_ID' | 'TEAMS_CONNECTOR_ENDPOINT'>): boolean {
  return Boolean(config.BOT_APP_ID || config.TEAMS_CONNECTOR_ENDPOINT);
}

/** Audience a managed identity's token needs to be accepted as a federated credential of an app registration. */
const TOKEN_EXCHANGE_SCOPE = 'api://AzureADTokenExchange/.default';

/**
 * The identity the bot sends cards with. Locally, and when the bot is registered as the app's
 * user-assigned managed identity (BOT_APP_ID = AZURE_CLIENT_ID), that is the app's own credential.
 * Otherwise the bot is its own app registration (infra/ deploys a SingleTenant bot): the managed
 * identity's token is exchanged for the bot's through a federated identity credential on that
 * registration, so no client secret exists anywhere.
 */
export function botCredential(config: Pick<Config, 'ACCESSMANAGER_ENV' | 'AZURE_TENANT_ID' | 'AZURE_CLIENT_ID' | 'BOT_APP_ID'>, appCredential: TokenCredential): TokenCredential {
  const bot = config.BOT_APP_ID;
  if (config.ACCESSMANAGER_ENV === 'local' || !bot || bot.toLowerCase() === config.AZURE_CLIENT_ID?.toLowerCase()) return appCredential;
  return new ClientAssertionCredential(config.AZURE_TENANT_ID, bot, async () => {
    const token = await appCredential.getToken(TOKEN_EXCHANGE_SCOPE);
    if (!token) throw new TransientError('The managed identity gave no token to exchange for the bot identity; retry later.', 'BotTokenUnavailable');
    return token.token;
  });
}

/** Undefined where the bot cannot run safely: in Azure without BOT_APP_ID, tokens could not be validated. */
export function createTeamsRuntime(config: Config, options: TeamsRuntimeOptions): TeamsRuntime | undefined {
  if (config.ACCESSMANAGER_ENV === 'azure' && !config.BOT_APP_ID) return undefined;
  if (options.ca) trustForBotConnector(options.ca);
  let adapter: CloudAdapter;
  try {
    adapter = createBotAdapter({ botAppId: config.BOT_APP_ID, tenantId: config.AZURE_TENANT_ID, credential: botCredential(config, options.credential), tokenAuthority: options.tokenAuthority });
  } catch (err) {
    throw new ConfigError(`The Teams bot cannot start: ${err instanceof Error ? err.message : String(err)}. Set BOT_APP_ID to the Azure Bot's app id.`);
  }
  return {
    adapter,
    connector: new AgentsTeamsConnector(adapter, config.BOT_APP_ID ?? LOCAL_BOT_ID),
    allowsAnonymous: config.ACCESSMANAGER_ENV === 'local' && !config.BOT_APP_ID,
  };
}
