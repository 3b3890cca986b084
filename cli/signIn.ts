/**
 * Signing the CLI in to a deployed AccessManager: a token for the App Service authentication
 * app (its application id URI or client id), from @azure/identity. `azure-cli` reuses `az login`
 * (the app must accept Azure CLI as a client: pre-authorize it, or consent once); `device-code`
 * signs in through a browser anywhere, as a public client (the app registration with public
 * client flows allowed, or another registration that has permission to the app).
 */
import { AzureCliCredential, DeviceCodeCredential, type DeviceCodeInfo } from '@azure/identity';
import type { TokenCredential } from '@azure/core-auth';

export type SignInMethod = 'azure-cli' | 'device-code';
export const SIGN_IN_METHODS: readonly SignInMethod[] = ['azure-cli', 'device-code'];

export interface SignInSettings {
  method: SignInMethod;
  /** The App Service authentication app: `api://<client id>`, or the client id itself. */
  audience: string;
  /** Entra tenant (id or domain); device code needs it, the Azure CLI defaults to the signed-in one. */
  tenantId?: string;
  /** Device code: the public client that signs in (default: the app itself, when the audience is its client id or api://<client id>). */
  clientId?: string;
  /** Where the device code message goes (stderr). */
  tell: (message: string) => void;
}

export type CredentialFactory = (settings: SignInSettings) => TokenCredential;

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** `api://abc` -> `api://abc/.default`; `abc/.default` stays; a trailing slash is dropped. */
export function tokenScope(audience: string): string {
  const trimmed = audience.trim().replace(/\/+$/, '');
  if (trimmed.length === 0) throw new TypeError('The audience is empty: pass the App Service authentication app (api://<client id> or the client id).');
  return /\/\.default$/i.test(trimmed) ? trimmed : `${trimmed}/.default`;
}

/** The client id inside an audience (`api://<guid>`, `<guid>`), if it holds one. */
export function clientIdOf(audience: string): string | undefined {
  const id = audience.trim().replace(/\/\.default$/i, '').replace(/\/+$/, '').replace(/^api:\/\//i, '');
  return GUID.test(id) ? id : undefined;
}

export const defaultCredentialFactory: CredentialFactory = (settings) => {
  if (settings.method === 'azure-cli') return new AzureCliCredential(settings.tenantId ? { tenantId: settings.tenantId } : {});
  const clientId = settings.clientId ?? clientIdOf(settings.audience);
  if (!clientId) throw new TypeError('device-code sign-in needs the public client id: pass --client-id (or use an api://<client id> audience).');
  return new DeviceCodeCredential({
    clientId,
    ...(settings.tenantId ? { tenantId: settings.tenantId } : {}),
    userPromptCallback: (info: DeviceCodeInfo) => settings.tell(`${info.message}\n`),
  });
};

/** A token source for the client: asks the credential every call (it caches and refreshes). */
export function tokenProvider(settings: SignInSettings, factory: CredentialFactory = defaultCredentialFactory): () => Promise<string> {
  const credential = factory(settings);
  const scope = tokenScope(settings.audience);
  return async () => {
    const token = await credential.getToken(scope);
    if (!token) throw new Error(`No token for ${scope} from ${settings.method}.`);
    return token.token;
  };
}
