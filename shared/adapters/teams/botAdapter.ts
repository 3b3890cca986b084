/**
 * Builds the Agents SDK's CloudAdapter for AccessManager's bot. Inbound, the SDK validates the
 * Bot Framework JWT of every activity for our bot app id (anonymous only without one, which the
 * caller allows in local mode only). Outbound, connector tokens come from the app's own
 * TokenCredential (the managed identity the Azure Bot is registered with; the simulator's
 * credential locally) instead of the SDK's MSAL client secrets.
 */
import { rootCertificates } from 'node:tls';
import type { TokenCredential } from '@azure/core-auth';
import { CloudAdapter, type AuthConfiguration, type AuthProvider, type Connections } from '@microsoft/agents-hosting';
import { Agent, setGlobalDispatcher } from 'undici';
import { InternalError, TransientError } from '../../domain/errors';

const BOT_FRAMEWORK_SCOPE = 'https://api.botframework.com';

export interface BotAdapterOptions {
  /** Microsoft App id of the bot; undefined accepts anonymous activities (local only). */
  botAppId?: string;
  tenantId: string;
  credential: TokenCredential;
  /**
   * Entra authority whose keys sign tokens that are not the Bot Framework's own (default
   * https://login.microsoftonline.com/<tenant>). Tests point it at a local key server.
   */
  tokenAuthority?: string;
}

function unsupported(what: string): never {
  throw new InternalError(`${what} is not used by AccessManager's bot.`, 'BotAuthUnsupported');
}

/** Connector tokens for the bot from a TokenCredential (`<scope>/.default`). */
class CredentialTokenProvider implements AuthProvider {
  constructor(
    private readonly credential: TokenCredential,
    readonly connectionSettings: AuthConfiguration,
  ) {}

  getAccessToken(authConfig: AuthConfiguration, scope: string): Promise<string>;
  getAccessToken(scope: string): Promise<string>;
  getAccessToken(authConfigOrScope: AuthConfiguration | string, scope?: string): Promise<string>;
  async getAccessToken(authConfigOrScope: AuthConfiguration | string, scope?: string): Promise<string> {
    const wanted = typeof authConfigOrScope === 'string' ? authConfigOrScope : (scope ?? BOT_FRAMEWORK_SCOPE);
    const resource = wanted.endsWith('/.default') ? wanted : `${wanted.replace(/\/+$/, '')}/.default`;
    const token = await this.credential.getToken(resource);
    if (!token) throw new TransientError(`No token for ${resource} from the app's identity; retry later.`, 'BotTokenUnavailable');
    return token.token;
  }

  async getAgenticApplicationToken(): Promise<string> {
    return unsupported('Agentic application tokens');
  }

  async getAgenticInstanceToken(): Promise<string> {
    return unsupported('Agentic instance tokens');
  }

  async getAgenticUserToken(): Promise<string> {
    return unsupported('Agentic user tokens');
  }

  acquireTokenOnBehalfOf(scopes: string[], oboAssertion: string): Promise<string>;
  acquireTokenOnBehalfOf(authConfig: AuthConfiguration, scopes: string[], oboAssertion: string): Promise<string>;
  async acquireTokenOnBehalfOf(): Promise<string> {
    return unsupported('On-behalf-of tokens');
  }
}

class CredentialConnections implements Connections {
  constructor(private readonly provider: CredentialTokenProvider) {}
  getConnection = (): AuthProvider => this.provider;
  getDefaultConnection = (): AuthProvider => this.provider;
  getTokenProvider = (): AuthProvider => this.provider;
  getTokenProviderFromActivity = (): AuthProvider => this.provider;
  getDefaultConnectionConfiguration = (): AuthConfiguration => this.provider.connectionSettings;
}

export function createBotAdapter(options: BotAdapterOptions): CloudAdapter {
  // Every key is set explicitly: the SDK merges settings it finds in the environment (clientId, ...) under ours.
  const authConfig: AuthConfiguration = options.botAppId
    ? {
        clientId: options.botAppId,
        tenantId: options.tenantId,
        validateIssuer: true,
        ...(options.tokenAuthority ? { authorityEndpoint: options.tokenAuthority.replace(/\/+$/, '') } : {}),
      }
    : { clientId: undefined, tenantId: options.tenantId };
  // With an app id, an activity whose serviceUrl differs from its token's serviceurl claim is refused.
  const adapter = new CloudAdapter(authConfig, undefined, undefined, { validateServiceUrl: options.botAppId !== undefined });
  adapter.connectionManager = new CredentialConnections(new CredentialTokenProvider(options.credential, authConfig));
  // The SDK's default posts "The agent encountered an error" into the chat and swallows the error:
  // let it reach the function instead, which answers 5xx so the Bot Service retries.
  adapter.onTurnError = async (_context, error) => {
    throw error;
  };
  return adapter;
}

const trustedCas = new Set<string>();
/** Where Node's fetch (its bundled undici) looks for the dispatcher to use. */
const GLOBAL_DISPATCHER = Symbol.for('undici.globalDispatcher.1');

/**
 * The global object of the realm `fetch` was created in. Node's fetch reads its dispatcher from
 * there, which is not this module's `globalThis` when the code runs in a VM context (a test
 * runner's sandbox); a function built by that realm's Function constructor returns it.
 */
function fetchRealmGlobal(): Record<symbol, unknown> {
  const RealmFunction = Object.getPrototypeOf(globalThis.fetch).constructor as FunctionConstructor;
  return new RealmFunction('return this')() as Record<symbol, unknown>;
}

/**
 * The SDK's connector client calls the global fetch with no way to pass a dispatcher. To reach
 * the local simulator's self-signed endpoint, the global dispatcher is widened to trust its CA as
 * well as the public roots. Only the local host passes a CA; deployed, nothing changes.
 */
export function trustForBotConnector(ca: string): void {
  if (trustedCas.has(ca)) return;
  trustedCas.add(ca);
  const dispatcher = new Agent({ connect: { ca: [...rootCertificates, ...trustedCas] } });
  setGlobalDispatcher(dispatcher);
  fetchRealmGlobal()[GLOBAL_DISPATCHER] = dispatcher;
}
