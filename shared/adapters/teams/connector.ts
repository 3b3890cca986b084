/**
 * The port through which cards reach Teams: send one into a conversation, or replace one in
 * place. The Agents SDK implements it (./agentsConnector.ts); the notifier only knows this.
 */
import type { AdaptiveCardJson } from '../../domain/cards/adaptiveCard';
import type { ConversationTarget } from '../../ports/conversations';

export interface OutgoingCard {
  card: AdaptiveCardJson;
  /** Text of the chat list preview and of notifications on phones. */
  summary: string;
}

export interface TeamsConnector {
  /** Posts a fresh message (never a reply) carrying the card; resolves to its activity id. */
  send(target: ConversationTarget, message: OutgoingCard): Promise<string>;
  /** Replaces the card of a sent activity; `gone` when the message no longer exists (deleted in Teams). */
  update(target: ConversationTarget, activityId: string, message: OutgoingCard): Promise<'updated' | 'gone'>;
}
