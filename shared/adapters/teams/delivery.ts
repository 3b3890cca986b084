/**
 * Getting a card to someone exactly once: find where they can be reached (their stored 1:1
 * conversation, or a channel), claim the notification's idempotency key, send, and give the
 * claim back if the send failed so a retry can try again.
 */
import type { Clock } from '../../domain/clock';
import type { TeamsChannel } from '../../domain/policy/types';
import type { OutgoingCard, TeamsConnector } from './connector';
import type { ConversationRepository, ConversationTarget } from '../../ports/conversations';
import type { SentKeys } from '../cosmos/sentKeys';

/** Teams' global connector endpoint, for channels the bot has not heard from yet. */
export const DEFAULT_TEAMS_SERVICE_URL = 'https://smba.trafficmanager.net/teams/';

export interface DeliverySettings {
  tenantId: string;
  botAppId?: string;
  /** TEAMS_CONNECTOR_ENDPOINT: overrides the service URL for channels (the local simulator). */
  connectorEndpoint?: string;
}

export type SendOutcome = { outcome: 'sent'; activityId: string } | { outcome: 'alreadySent' };

export class CardDelivery {
  constructor(
    readonly connector: TeamsConnector,
    readonly conversations: ConversationRepository,
    private readonly sentKeys: SentKeys,
    private readonly settings: DeliverySettings,
    private readonly clock: Clock,
  ) {}

  /** Sends unless a send with this key already happened (here or on another instance), or with `claim: false` unconditionally. */
  async sendOnce(key: string, target: ConversationTarget, message: OutgoingCard, options: { claim?: boolean } = {}): Promise<SendOutcome> {
    // Without a claim (the caller deduplicates, Notification.deduplicatedByCaller) it just sends.
    if (options.claim === false) return { outcome: 'sent', activityId: await this.connector.send(target, message) };
    if (!(await this.sentKeys.claim(key, this.clock.now()))) return { outcome: 'alreadySent' };
    try {
      return { outcome: 'sent', activityId: await this.connector.send(target, message) };
    } catch (err) {
      await this.sentKeys.release(key).catch(() => undefined);
      throw err;
    }
  }

  /** A channel a policy names: through the reference captured from the team, else the configured or global endpoint. */
  async channelTarget(channel: TeamsChannel): Promise<ConversationTarget> {
    const known = await this.conversations.forChannel(channel.channelId);
    if (known) return known;
    return {
      serviceUrl: this.settings.connectorEndpoint ?? DEFAULT_TEAMS_SERVICE_URL,
      conversationId: channel.channelId,
      conversationType: 'channel',
      tenantId: this.settings.tenantId,
      botId: `28:${this.settings.botAppId ?? 'accessmanager'}`,
    };
  }
}

