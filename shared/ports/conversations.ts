/**
 * The port to conversation references: where the bot can reach a person (their 1:1 chat with
 * the app) or a channel. The activity id is deliberately not part of it: a reference with one
 * makes a proactive send a reply to that old activity instead of a fresh message.
 */

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

/** What to remember from an activity: a person's 1:1 chat, or a channel. */
export type CapturedReference = { kind: 'person'; objectId: string; target: ConversationTarget } | { kind: 'channel'; channelId: string; target: ConversationTarget };

export interface ConversationRepository {
  forPerson(objectId: string): Promise<ConversationTarget | undefined>;
  /** The references of several people in one query (a batch of notices), keyed by lowercased object id; those without one are absent. */
  forPeople(objectIds: readonly string[]): Promise<Map<string, ConversationTarget>>;
  forChannel(channelId: string): Promise<ConversationTarget | undefined>;
  /** Remembers a reference; an unchanged one is not rewritten (Teams repeats them on every message). */
  remember(captured: CapturedReference, now: Date): Promise<void>;
  /** The app was removed from a person's Teams: stop trying to reach them there. */
  forget(objectId: string): Promise<void>;
}
