/**
 * Helpers of the Teams tests: post activities to /api/messages the way the Teams service does
 * (installation, card clicks), and read what the simulated connector recorded through
 * GET {sim}/sim/teams/activities.
 */
import { Agent } from 'undici';
import type { LocalStack } from '../../dev/localStack';
import { personalConversationId, SIM_BOT_APP_ID, teamsUserId, type TeamsActivityRecord } from '../../dev/sim';
import { LOCAL_TENANT_ID } from '../../dev/tenant';

export interface Person {
  id: string;
  name: string;
}

/** An Adaptive Card as the tests read it. */
export interface CardJson {
  type?: string;
  body: Array<Record<string, unknown>>;
  actions?: Array<{ type: string; title?: string; verb?: string; url?: string; data?: Record<string, string> }>;
  refresh?: { action: { verb: string }; userIds: string[] };
}

/** What /api/messages answers: an invoke response (a card, or an error value), or the API's error body. */
export interface BotAnswer {
  statusCode?: number;
  type?: string;
  value?: CardJson & { code?: string; message?: string };
  error?: { code: string; message: string };
}

export interface PostResult {
  status: number;
  body: BotAnswer;
}

/** POSTs a body (an object as JSON, a string as is) to the bot endpoint. */
export async function postToBot(stack: Pick<LocalStack, 'url'>, body: unknown, headers: Record<string, string> = {}): Promise<PostResult> {
  const res = await fetch(`${stack.url}/api/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await res.text();
  let parsed: BotAnswer = {};
  if (text) {
    try {
      parsed = JSON.parse(text) as BotAnswer;
    } catch {
      parsed = { error: { code: 'NotJson', message: text } };
    }
  }
  return { status: res.status, body: parsed };
}

/** The fields every activity from Teams carries in a person's 1:1 chat with the bot. */
export function personalActivity(stack: Pick<LocalStack, 'sim'>, who: Person, botAppId = SIM_BOT_APP_ID): Record<string, unknown> {
  const now = new Date().toISOString();
  return {
    id: `f:${Math.random().toString(36).slice(2)}`,
    timestamp: now,
    serviceUrl: stack.sim.teams.serviceUrl,
    channelId: 'msteams',
    from: { id: teamsUserId(who.id), name: who.name.split('@')[0], aadObjectId: who.id },
    conversation: { id: personalConversationId(who.id), conversationType: 'personal', tenantId: LOCAL_TENANT_ID },
    recipient: { id: `28:${botAppId}`, name: 'AccessManager' },
    channelData: { tenant: { id: LOCAL_TENANT_ID } },
    locale: 'en-US',
  };
}

/** A click on an Action.Execute button, as Teams posts it (inputs merged into the action's data). */
export function cardClick(stack: Pick<LocalStack, 'sim'>, who: Person, verb: string, data: Record<string, string>, botAppId?: string): Record<string, unknown> {
  return {
    ...personalActivity(stack, who, botAppId),
    type: 'invoke',
    name: 'adaptiveCard/action',
    value: { action: { type: 'Action.Execute', id: verb, verb, data }, trigger: verb === 'refreshCard' ? 'automatic' : 'manual' },
  };
}

/** Posts a click and returns the HTTP status and the invoke answer. */
export function click(stack: Pick<LocalStack, 'sim' | 'url'>, who: Person, verb: string, data: Record<string, string>, headers: Record<string, string> = {}): Promise<PostResult> {
  return postToBot(stack, cardClick(stack, who, verb, data), headers);
}

const dispatchers = new WeakMap<object, Agent>();

/** The connector's log of outbound activities, read over HTTPS from the simulator (trusting its CA). */
export async function teamsActivities(stack: Pick<LocalStack, 'sim' | 'ca'>, filter: { recipient?: string; operation?: string } = {}): Promise<TeamsActivityRecord[]> {
  let dispatcher = dispatchers.get(stack);
  if (!dispatcher) {
    dispatcher = new Agent({ connect: { ca: stack.ca } });
    dispatchers.set(stack, dispatcher);
  }
  const query = new URLSearchParams(Object.entries(filter).filter(([, v]) => v !== undefined) as Array<[string, string]>);
  const res = await fetch(`${stack.sim.url}/sim/teams/activities?${query}`, { dispatcher } as RequestInit);
  if (res.status !== 200) throw new Error(`GET /sim/teams/activities answered ${res.status}`);
  return ((await res.json()) as { items: TeamsActivityRecord[] }).items;
}

/** Closes the HTTPS client of teamsActivities for this stack. */
export async function closeTeamsClient(stack: object): Promise<void> {
  await dispatchers.get(stack)?.close();
  dispatchers.delete(stack);
}

/** The Adaptive Card inside a recorded activity, if any. */
export function cardOf(record: Pick<TeamsActivityRecord, 'activity'>): CardJson | undefined {
  const attachments = (record.activity?.attachments ?? []) as Array<{ contentType?: string; content?: unknown }>;
  return attachments.find((a) => a.contentType === 'application/vnd.microsoft.card.adaptive')?.content as CardJson | undefined;
}

/** Every recorded send or update whose card is about this request (they all carry its id). */
export function recordsAbout(records: TeamsActivityRecord[], id: string): TeamsActivityRecord[] {
  return records.filter((r) => JSON.stringify(cardOf(r) ?? {}).includes(id));
}
