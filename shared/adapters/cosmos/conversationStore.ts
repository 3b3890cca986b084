/**
 * Conversation references: where the bot can reach a person (their 1:1 chat with the app) or
 * a channel, captured from the activities Teams sends (installation, messages). Stored in the
 * `state` container as `conv:<objectId>` and `conv:channel:<hash of channel id>`, so any
 * instance can send a card to anyone who installed the app.
 *
 * The activity id is deliberately not kept: a reference with one makes a proactive send a
 * reply to that old activity instead of a fresh message.
 */
import { createHash } from 'node:crypto';
import type { Container } from '@azure/cosmos';
import { z } from 'zod';
import { isGuid } from '../../domain/armIds';
import { deleteDoc, readDoc, upsertDoc } from './document';

export interface ConversationTarget {
  serviceUrl: string;
  conversationId: string;
  /** `personal`, `channel` or `groupChat`. */
  conversationType: string;
  tenantId?: string;
  /** The bot's channel account id (`28:<app id>`). */
  botId: string;
  /** The person's Teams user id (`29:...`), for 1:1 conversations. */
  userId?: string;
  userName?: string;
  /** Entra object id of the person, for 1:1 conversations. */
  userObjectId?: string;
}

const storedReferenceSchema = z.object({
  id: z.string(),
  type: z.literal('conversationReference'),
  serviceUrl: z.string().url(),
  conversationId: z.string().min(1),
  conversationType: z.string(),
  tenantId: z.string().optional(),
  botId: z.string().min(1),
  userId: z.string().optional(),
  userName: z.string().optional(),
  userObjectId: z.string().optional(),
  updatedAt: z.string(),
});
type StoredReference = z.infer<typeof storedReferenceSchema>;

/** The parts of an incoming activity a reference is made of (the SDK's Activity satisfies it). */
export interface IncomingActivityShape {
  serviceUrl?: string;
  conversation?: { id?: string; conversationType?: string; tenantId?: string };
  from?: { id?: string; name?: string; aadObjectId?: string };
  recipient?: { id?: string };
  channelData?: unknown;
}

export type CapturedReference = { kind: 'person'; objectId: string; target: ConversationTarget } | { kind: 'channel'; channelId: string; target: ConversationTarget };

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

const personKey = (objectId: string) => `conv:${objectId.toLowerCase()}`;
/** Channel ids (`19:...@thread.tacv2`) may carry characters Cosmos ids do not allow; hashed, they never do. */
const channelKey = (channelId: string) => `conv:channel:${createHash('sha256').update(channelId).digest('hex')}`;

function sameTarget(a: ConversationTarget, b: ConversationTarget): boolean {
  const keys: Array<keyof ConversationTarget> = ['serviceUrl', 'conversationId', 'conversationType', 'tenantId', 'botId', 'userId', 'userName', 'userObjectId'];
  return keys.every((k) => a[k] === b[k]);
}

function toTarget(doc: StoredReference): ConversationTarget {
  const { id: _id, type: _type, updatedAt: _updatedAt, ...target } = doc;
  return target;
}

export class ConversationStore {
  constructor(private readonly state: Container) {}

  async forPerson(objectId: string): Promise<ConversationTarget | undefined> {
    const found = await readDoc(this.state, personKey(objectId), personKey(objectId), storedReferenceSchema);
    return found ? toTarget(found.doc) : undefined;
  }

  async forChannel(channelId: string): Promise<ConversationTarget | undefined> {
    const found = await readDoc(this.state, channelKey(channelId), channelKey(channelId), storedReferenceSchema);
    return found ? toTarget(found.doc) : undefined;
  }

  /** Remembers a reference; an unchanged one is not rewritten (Teams repeats them on every message). Last writer wins otherwise: the newest reference is the right one. */
  async remember(captured: CapturedReference, now: Date): Promise<void> {
    const id = captured.kind === 'person' ? personKey(captured.objectId) : channelKey(captured.channelId);
    const existing = await readDoc(this.state, id, id, storedReferenceSchema);
    if (existing && sameTarget(toTarget(existing.doc), captured.target)) return;
    await upsertDoc(this.state, { id, type: 'conversationReference' as const, ...captured.target, updatedAt: now.toISOString() });
  }

  /** The app was removed from a person's Teams: stop trying to reach them there. */
  async forget(objectId: string): Promise<void> {
    await deleteDoc(this.state, personKey(objectId), personKey(objectId));
  }
}
