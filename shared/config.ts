/**
 * Configuration, decoded once at start-up from the environment (app settings in Azure,
 * `local.settings.json` for a Functions host, or set by the local host). A missing or bad
 * setting stops start-up with a message naming it.
 */
import { z } from 'zod';
import { isGuid } from './domain/armIds';
import { ConfigError } from './domain/errors';

const guid = z.string().refine(isGuid, 'must be a GUID');
const httpsUrl = z.string().url('must be a URL').refine((u) => u.startsWith('https://'), 'must be an https:// URL');
const flag = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

/** Every setting: name, default, meaning. The README's configuration table mirrors this. */
export const settingsSchema = z.object({
  /** `local` runs against the simulated tenant and accepts unauthenticated bot activities; `azure` never does. */
  ACCESSMANAGER_ENV: z.enum(['local', 'azure']).default('azure'),
  AZURE_TENANT_ID: guid,
  /** The default governed subscription: the only one unless GOVERNED_* settings name more. */
  AZURE_SUBSCRIPTION_ID: guid,
  /** More governed subscriptions (comma-separated ids), beside AZURE_SUBSCRIPTION_ID. */
  GOVERNED_SUBSCRIPTION_IDS: z
    .string()
    .transform((v) => v.split(',').map((s) => s.trim().toLowerCase()).filter((s) => s.length > 0))
    .pipe(z.array(guid))
    .default([]),
  /**
   * A governed management group (its name, or its full id): every subscription under it, at any
   * depth, is governed (read from ARM at start-up). Policies may name it, any group under it, or
   * any governed subscription.
   */
  GOVERNED_MANAGEMENT_GROUP: z
    .string()
    .transform((v) => {
      const name = /^\/providers\/Microsoft\.Management\/managementGroups\/([^/]+)$/i.exec(v)?.[1] ?? v;
      return name;
    })
    .pipe(z.string().regex(/^[A-Za-z0-9._()-]{1,90}$/, 'must be a management group name or /providers/Microsoft.Management/managementGroups/<name>'))
    .transform((name) => `/providers/Microsoft.Management/managementGroups/${name}`)
    .optional(),
  /** Object id of AccessManager's own managed identity: never revoked, and its writes are recognised as ours. */
  ACCESSMANAGER_PRINCIPAL_ID: guid,
  /**
   * Break-glass accounts: object ids (comma-separated) never revoked at any scope, whatever the
   * policy files say. Policies may exempt them too; this makes it independent of policy edits.
   */
  BREAKGLASS_PRINCIPAL_IDS: z
    .string()
    .transform((v) => v.split(',').map((s) => s.trim()).filter((s) => s.length > 0))
    .pipe(z.array(guid))
    .default([]),
  /** Client id of a user-assigned managed identity; empty for system-assigned. */
  AZURE_CLIENT_ID: guid.optional(),
  COSMOS_ENDPOINT: httpsUrl,
  /** Account key; empty means managed identity (Cosmos data-plane RBAC). */
  COSMOS_KEY: z.string().min(1).optional(),
  COSMOS_DATABASE: z.string().min(1).default('accessmanager'),
  ARM_ENDPOINT: httpsUrl.default('https://management.azure.com'),
  GRAPH_ENDPOINT: httpsUrl.default('https://graph.microsoft.com'),
  /** Folder of policy YAML files. */
  POLICIES_DIR: z.string().min(1).default('policies'),
  /** Microsoft App id of the Teams bot; when set, every bot activity must carry a valid Bot Framework JWT. */
  BOT_APP_ID: guid.optional(),
  /** Teams connector base URL override (local simulator); empty means the service URL of each activity. */
  TEAMS_CONNECTOR_ENDPOINT: httpsUrl.optional(),
  /** Public base URL of this app, used in links on cards and notifications. */
  PUBLIC_BASE_URL: z.string().url().default('http://localhost:7071'),
  /**
   * Azure OpenAI endpoint (https://<account>.openai.azure.com) of the model that turns a free-text
   * need into operations for role suggestions. Empty: suggestions work from actions only, and say so.
   */
  AZURE_OPENAI_ENDPOINT: httpsUrl.optional(),
  /** The chat model deployment on that endpoint (needed with AZURE_OPENAI_ENDPOINT). */
  AZURE_OPENAI_DEPLOYMENT: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'must be a deployment name (letters, digits, . _ -)').optional(),
  /** Data-plane API version sent to Azure OpenAI; structured outputs need 2024-08-01-preview or later. */
  AZURE_OPENAI_API_VERSION: z.string().regex(/^\d{4}-\d{2}-\d{2}(-preview)?$/, 'must be an API version such as 2024-10-21').default('2024-10-21'),
  /** Log every decision at info level. */
  VERBOSE_LOGS: flag.default(false),
  /**
   * Who hears security alerts (breaker trips, AccessManager losing its permission, repeat rogue
   * actors, revocations) in their 1:1 chat with the bot: object ids of users or groups,
   * comma-separated. Default: the approvers of the broadest policies (locally security-team).
   */
  SECURITY_CONTACTS: z
    .string()
    .transform((v) => v.split(',').map((s) => s.trim()).filter((s) => s.length > 0))
    .pipe(z.array(guid))
    .default([]),
  /** A Teams channel (`<team id>/<channel id>`) for security alerts of policies that name none. */
  SECURITY_TEAMS_CHANNEL: z
    .string()
    .regex(/^[^/\s]+\/[^/\s]+$/, 'must be <team id>/<channel id>')
    .transform((v) => {
      const [teamId, channelId] = v.split('/') as [string, string];
      return { teamId, channelId };
    })
    .optional(),
  /**
   * An Azure Storage blob container for audit anchors (append blobs the Cosmos writer cannot
   * rewrite; set a time-based retention policy with protected append writes on it, see README).
   * https://<account>.blob.core.windows.net/<container>; locally Azurite's http://127.0.0.1:<port>/devstoreaccount1/<container>.
   */
  AUDIT_ANCHOR_CONTAINER_URL: z
    .string()
    .url('must be a URL')
    .refine((u) => u.startsWith('https://') || /^http:\/\/(127\.0\.0\.1|localhost)(:\d+)?\//.test(u), 'must be an https:// URL (http only for a local emulator)')
    .optional(),
  /** Account key for the anchor container (local emulator); empty means managed identity (deployed: a role that reads, creates and appends blobs on the container). */
  AUDIT_ANCHOR_ACCOUNT_KEY: z.string().min(1).optional(),
  /**
   * Set by App Service when its authentication (Easy Auth) is on. Deployed, the principal headers
   * are trustworthy only then (it strips client-sent ones), so the API refuses calls without it.
   */
  WEBSITE_AUTH_ENABLED: z.string().transform((v) => v.toLowerCase() === 'true').default(false),
});

export type Config = z.infer<typeof settingsSchema>;

/** Decodes settings; throws ConfigError listing every bad or missing setting by name. */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const cleaned: Record<string, string> = {};
  for (const key of Object.keys(settingsSchema.shape)) {
    const value = env[key];
    if (value !== undefined && value.trim() !== '') cleaned[key] = value.trim();
  }
  const parsed = settingsSchema.safeParse(cleaned);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      const name = String(issue.path[0] ?? '?');
      const problem = cleaned[name] === undefined ? 'is missing' : `${issue.message} (got ${JSON.stringify(cleaned[name])})`;
      return `  ${name} ${problem}`;
    });
    throw new ConfigError(`AccessManager configuration is invalid:\n${lines.join('\n')}\nSet these app settings (see README, Configuration).`);
  }
  const config = parsed.data;
  if (config.ACCESSMANAGER_ENV === 'azure' && config.COSMOS_ENDPOINT.includes('localhost') && !config.COSMOS_KEY) {
    throw new ConfigError('AccessManager configuration is invalid:\n  COSMOS_KEY is missing: a local Cosmos endpoint needs its key.');
  }
  if (config.AZURE_OPENAI_ENDPOINT && !config.AZURE_OPENAI_DEPLOYMENT) {
    throw new ConfigError('AccessManager configuration is invalid:\n  AZURE_OPENAI_DEPLOYMENT is missing: AZURE_OPENAI_ENDPOINT needs the name of its chat model deployment.');
  }
  return config;
}
