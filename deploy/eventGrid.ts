/**
 * The azd postdeploy hook: wires Event Grid to the functions just deployed.
 *
 * Why after the deploy: Azure validates an AzureFunction endpoint against the deployed function
 * when the event subscription is created. Why a plan: only one system topic may exist per source,
 * and it may already exist anywhere (Default-EventGrid, another team's resource group, even
 * another subscription). `planTopics` (pure, tested) reuses an existing topic or creates one in the
 * source's own region (the subscription topic is global); `main` asks the Azure CLI what exists
 * and deploys infra/events/main.bicep with the plan. ARM ids are compared case-insensitively,
 * which JMESPath in `az --query` would not do, so listings are filtered here.
 *
 * Inputs are azd environment values (the outputs of infra/main.bicep and what `azd env set`
 * stored), which azd hands to hooks as environment variables.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import eventsSpec from '../infra/shared/events.json';
import { normalizeArmId, sameScope, subscriptionOf } from '../shared/domain/armIds';
import { deploymentScopes, readDescendants } from './governedScopes';
import { az, repoRoot, requiredEnv } from './azureCli';

export type SourceKind = 'subscription' | 'keyVault' | 'storage';

export interface EventSource {
  kind: SourceKind;
  /** ARM id of the source: a subscription, a key vault or a storage account. */
  source: string;
  /** Region of a regional source; subscriptions are global. */
  location?: string;
}

/** A system topic as `az eventgrid system-topic list` describes it (only the fields read). */
export interface ExistingTopic {
  id: string;
  name: string;
  source?: string;
  location?: string;
  identity?: { userAssignedIdentities?: Record<string, unknown> | null } | null;
}

/** One entry of the `topics` parameter of infra/events/main.bicep. */
export interface PlannedTopic {
  kind: SourceKind;
  source: string;
  topicName: string;
  subscriptionId: string;
  resourceGroup: string;
  location: string;
  create: boolean;
  useIdentity: boolean;
}

export interface PlanContext {
  /** The subscription and resource group azd deployed to. */
  subscriptionId: string;
  resourceGroup: string;
  envName: string;
  /** Event Grid's user-assigned identity (dead-lettering from topics this deployment owns). */
  eventGridIdentityId: string;
  /** Where to create a missing subscription topic in a subscription other than the deployment's. */
  governedTopicResourceGroup?: string;
}

const RESOURCE_GROUP = /^\/subscriptions\/[^/]+\/resourceGroups\/([^/]+)/i;

function resourceGroupOf(id: string): string | undefined {
  return RESOURCE_GROUP.exec(id)?.[1];
}

function subscriptionIdOf(id: string): string {
  const sub = subscriptionOf(id);
  if (!sub) throw new Error(`${id} is not an ARM id under a subscription (/subscriptions/<id>/...).`);
  return sub;
}

/** Whether a topic already carries our Event Grid identity: then it is ours, from an earlier run. */
function carriesIdentity(topic: ExistingTopic, identityId: string): boolean {
  return Object.keys(topic.identity?.userAssignedIdentities ?? {}).some((id) => sameScope(id, identityId));
}

/** Comma- or newline-separated ARM ids (azd environment values are strings); blanks dropped. */
export function parseIdList(value: string | undefined): string[] {
  return (value ?? '')
    .split(/[,\n]/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/**
 * The topic plan: one entry per source, reusing the one existing topic of a source, or creating
 * it where Azure wants it. Refuses a source listed twice and a source with several topics
 * (Azure should never allow that; guessing between them would wire the wrong one).
 */
export function planTopics(sources: readonly EventSource[], existing: readonly ExistingTopic[], ctx: PlanContext): PlannedTopic[] {
  const seen = new Set<string>();
  return sources.map((s) => {
    const source = normalizeArmId(s.source);
    if (!source) throw new Error(`Event source ${JSON.stringify(s.source)} is not an ARM id.`);
    const key = source.toLowerCase();
    if (seen.has(key)) throw new Error(`Event source listed twice: ${s.source}`);
    seen.add(key);
    const global = s.kind === 'subscription';
    const found = existing.filter((t) => t.source !== undefined && sameScope(t.source, source));
    if (found.length > 1) throw new Error(`More than one system topic for ${s.source}: ${found.map((t) => t.id).join(', ')}`);
    const topic = found[0];
    if (topic) {
      const resourceGroup = resourceGroupOf(topic.id);
      if (!resourceGroup) throw new Error(`System topic ${topic.id} has no resource group in its id.`);
      return {
        kind: s.kind,
        source,
        topicName: topic.name,
        subscriptionId: subscriptionIdOf(topic.id),
        resourceGroup,
        location: topic.location ?? (global ? 'global' : (s.location ?? '')),
        create: false,
        // Someone else's topic is never given an identity; ours keeps the one it has.
        useIdentity: !global && carriesIdentity(topic, ctx.eventGridIdentityId),
      };
    }
    const sourceSubscription = subscriptionIdOf(source);
    const ownSubscription = sourceSubscription === ctx.subscriptionId.toLowerCase();
    const resourceGroup = global ? (ownSubscription ? ctx.resourceGroup : ctx.governedTopicResourceGroup) : resourceGroupOf(source);
    if (!resourceGroup) {
      throw new Error(
        `No system topic exists for ${s.source}, which is in another subscription: set GOVERNED_EVENTS_RESOURCE_GROUP to a resource group there (azd env set GOVERNED_EVENTS_RESOURCE_GROUP <name>), or create the topic yourself.`,
      );
    }
    if (!global && !s.location) throw new Error(`The region of ${s.source} is unknown: a regional system topic must be in its source's region.`);
    const suffix = createHash('sha256').update(key).digest('hex').slice(0, 8);
    return {
      kind: s.kind,
      source,
      topicName: `evgt-am-${ctx.envName}-${s.kind}-${suffix}`.toLowerCase().slice(0, 128),
      subscriptionId: sourceSubscription,
      resourceGroup,
      location: global ? 'global' : s.location!,
      create: true,
      // A global topic cannot carry a managed identity.
      useIdentity: !global,
    };
  });
}

/** The sources to wire: every governed subscription (./governedScopes.ts), and the vaults and accounts the azd environment names. */
export function sourcesFrom(env: Record<string, string | undefined>, governedSubscriptions: readonly string[]): EventSource[] {
  return [
    ...governedSubscriptions.map((id): EventSource => ({ kind: 'subscription', source: `/subscriptions/${id}` })),
    ...parseIdList(env.KEY_VAULT_IDS).map((source): EventSource => ({ kind: 'keyVault', source })),
    ...parseIdList(env.STORAGE_ACCOUNT_IDS).map((source): EventSource => ({ kind: 'storage', source })),
  ];
}

/** The functions the plan delivers to (from infra/shared/events.json). */
export function functionsFor(topics: readonly PlannedTopic[]): string[] {
  return [...new Set(topics.map((t) => eventsSpec.subscriptions[t.kind].functionName))];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Event Grid checks the function exists: wait until the host has indexed the deployed code. */
async function waitForFunctions(subscriptionId: string, resourceGroup: string, app: string, names: readonly string[]): Promise<void> {
  for (let attempt = 1; attempt <= 20; attempt++) {
    let listed: string[] = [];
    try {
      listed = (az(['functionapp', 'function', 'list', '--subscription', subscriptionId, '-g', resourceGroup, '-n', app, '--query', '[].name']) as string[] | null) ?? [];
    } catch {
      // The host is still starting.
    }
    // ARM names them "<app>/<function>".
    const have = new Set(listed.map((n) => (n.split('/').pop() ?? n).toLowerCase()));
    const missing = names.filter((n) => !have.has(n.toLowerCase()));
    if (missing.length === 0) return;
    console.log(`Waiting for ${missing.join(', ')} on ${app} (${attempt}/20)...`);
    await sleep(15_000);
  }
  throw new Error(`The functions never appeared on ${app}: did azd deploy succeed? (az functionapp function list -g ${resourceGroup} -n ${app})`);
}

async function main(): Promise<void> {
  const env = process.env;
  const subscriptionId = requiredEnv('AZURE_SUBSCRIPTION_ID');
  const resourceGroup = requiredEnv('AZURE_RESOURCE_GROUP');
  const app = requiredEnv('FUNCTION_APP_NAME');
  const envName = requiredEnv('AZURE_ENV_NAME');
  const sources = sourcesFrom(env, deploymentScopes(env, subscriptionId, readDescendants).subscriptions);
  for (const s of sources) {
    if (s.kind !== 'subscription') s.location = String(az(['resource', 'show', '--ids', s.source, '--query', 'location']));
  }
  const existing: ExistingTopic[] = [];
  for (const sub of new Set(sources.map((s) => subscriptionIdOf(s.source)))) {
    // A subscription that joined through the management group may never have had a system topic.
    az(['provider', 'register', '--namespace', 'Microsoft.EventGrid', '--subscription', sub, '--wait']);
    existing.push(...((az(['eventgrid', 'system-topic', 'list', '--subscription', sub]) as ExistingTopic[] | null) ?? []));
  }
  const topics = planTopics(sources, existing, {
    subscriptionId,
    resourceGroup,
    envName,
    eventGridIdentityId: requiredEnv('EVENTGRID_IDENTITY_ID'),
    governedTopicResourceGroup: env.GOVERNED_EVENTS_RESOURCE_GROUP || undefined,
  });
  for (const t of topics) console.log(`${t.kind} ${t.source}: ${t.create ? 'create' : 'reuse'} system topic ${t.topicName} in ${t.resourceGroup} (${t.location})`);

  await waitForFunctions(subscriptionId, resourceGroup, app, functionsFor(topics));

  const parametersFile = join(mkdtempSync(join(tmpdir(), 'accessmanager-events-')), 'parameters.json');
  writeFileSync(
    parametersFile,
    JSON.stringify({
      $schema: 'https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#',
      contentVersion: '1.0.0.0',
      parameters: {
        functionAppId: { value: requiredEnv('FUNCTION_APP_ID') },
        deadLetterStorageId: { value: requiredEnv('EVIDENCE_STORAGE_ID') },
        eventGridIdentityId: { value: requiredEnv('EVENTGRID_IDENTITY_ID') },
        topics: { value: topics },
      },
    }),
  );
  az([
    'deployment', 'sub', 'create',
    '--subscription', subscriptionId,
    '--location', requiredEnv('AZURE_LOCATION'),
    '--name', `accessmanager-events-${envName}`.slice(0, 64),
    '--template-file', join(repoRoot(), 'infra', 'events', 'main.bicep'),
    '--parameters', `@${parametersFile}`,
  ]);
  console.log(`Event Grid: ${topics.length} source(s) deliver to ${app}.`);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(`postdeploy (Event Grid): ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  });
}
