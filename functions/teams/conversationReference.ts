/**
 * Which conversation an incoming Teams activity came from, as a reference worth remembering:
 * a person's 1:1 chat with the bot, or a channel. Group chats and malformed activities give none.
 */
import { isGuid } from '../../shared/domain/armIds';
import type { CapturedReference } from '../../shared/ports/conversations';

/** The parts of an incoming activity a reference is made of (the SDK's Activity satisfies it). */
export interface IncomingActivityShape {
  serviceUrl?: string;
  conversation?: { id?: string; conversationType?: string; tenantId?: string };
  from?: { id?: string; name?: string; aadObjectId?: string };
  recipient?: { id?: string };
  channelData?: unknown;
}

function channelOf(channelData: unknown): { channelId?: string; tenantId?: string } {
  if (typeof channelData !== 'object' || channelData === null) return {};
  const data = channelData as { channel?: { id?: unknown }; tenant?: { id?: unknown } };
  return {
    channelId: typeof data.channel?.id === 'string' ? data.channel.id : undefined,
    tenantId: typeof data.tenant?.id === 'string' ? data.tenant.id : undefined,
  };
}

/** What to remember from an activity: a person's 1:1 chat, a channel, or nothing (group chats, malformed). */
export function referenceFromActivity(activity: IncomingActivityShape): CapturedReference | undefined {
  const serviceUrl = activity.serviceUrl;
  const conversationId = activity.conversation?.id;
  const botId = activity.recipient?.id;
  if (!serviceUrl || !conversationId || !botId || !/^https?:\/\//i.test(serviceUrl)) return undefined;
  const { channelId, tenantId: channelTenant } = channelOf(activity.channelData);
  const tenantId = activity.conversation?.tenantId ?? channelTenant;
  const type = activity.conversation?.conversationType ?? 'personal';
  if (type === 'channel' && channelId) {
    return { kind: 'channel', channelId, target: { serviceUrl, conversationId: channelId, conversationType: 'channel', botId, ...(tenantId ? { tenantId } : {}) } };
  }
  const objectId = activity.from?.aadObjectId;
  if (type !== 'personal' || !objectId || !isGuid(objectId) || !activity.from?.id) return undefined;
  return {
    kind: 'person',
    objectId: objectId.toLowerCase(),
    target: {
      serviceUrl,
      conversationId,
      conversationType: 'personal',
      botId,
      userId: activity.from.id,
      userObjectId: objectId.toLowerCase(),
      ...(activity.from.name ? { userName: activity.from.name } : {}),
      ...(tenantId ? { tenantId } : {}),
    },
  };
}

