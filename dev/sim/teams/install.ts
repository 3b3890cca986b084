/**
 * Installs the bot for every user of the local tenant the way Teams does: one
 * `installationUpdate` activity per user to the bot's messaging endpoint, carrying the
 * personal conversation and the connector's serviceUrl, so the app can store a
 * conversation reference for each person before anyone needs a card.
 */
import type { SimState } from '../state';
import { personalConversationId, teamsUserId } from './store';

/** Default Microsoft App id the simulated Teams addresses the bot by (`28:{id}`). */
export const SIM_BOT_APP_ID = '00000000-0000-4000-8000-0000000000b0';

export interface InstallResult {
  objectId: string;
  conversationId: string;
  /** HTTP status of the bot's answer, or the connection error. */
  result: number | string;
}

export function installationActivity(state: SimState, objectId: string, serviceUrl: string, botAppId: string): Record<string, unknown> {
  const user = state.directory.user(objectId);
  const now = new Date().toISOString();
  return {
    type: 'installationUpdate',
    action: 'add',
    id: `f:sim-install-${objectId.toLowerCase()}`,
    timestamp: now,
    localTimestamp: now,
    serviceUrl,
    channelId: 'msteams',
    from: { id: teamsUserId(objectId), name: user?.displayName, aadObjectId: objectId },
    conversation: { id: personalConversationId(objectId), conversationType: 'personal', tenantId: state.tenantId },
    recipient: { id: `28:${botAppId}`, name: 'AccessManager' },
    channelData: { tenant: { id: state.tenantId }, source: { name: 'message' } },
    locale: 'en-US',
    entities: [{ type: 'clientInfo', locale: 'en-US', country: 'US', platform: 'Web', timezone: 'Europe/Paris' }],
  };
}

/** Posts an installationUpdate for each user to `messagesUrl` (e.g. http://localhost:7071/api/messages). */
export async function installForAllUsers(state: SimState, messagesUrl: string, serviceUrl: string, botAppId = SIM_BOT_APP_ID): Promise<InstallResult[]> {
  const users = state.directory.all().filter((o) => o.kind === 'User');
  return Promise.all(
    users.map(async (u): Promise<InstallResult> => {
      const conversationId = personalConversationId(u.id);
      state.teams.personalConversation(state.teamsMemberOf(u.id), state.tenantId);
      try {
        const res = await fetch(messagesUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(installationActivity(state, u.id, serviceUrl, botAppId)),
        });
        await res.arrayBuffer();
        return { objectId: u.id, conversationId, result: res.status };
      } catch (e) {
        return { objectId: u.id, conversationId, result: e instanceof Error ? e.message : String(e) };
      }
    }),
  );
}
