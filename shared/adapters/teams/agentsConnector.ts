/**
 * TeamsConnector on the Agents SDK: every send and update runs in a proactive turn
 * (`CloudAdapter.continueConversation`) built from a stored conversation reference, and goes
 * through the turn's `sendActivity` / `updateActivity` and the SDK's connector client.
 */
import { CardFactory, MessageFactory, type CloudAdapter, type TurnContext } from '@microsoft/agents-hosting';
import type { ConversationReference } from '@microsoft/agents-activity';
import { InternalError, TransientError } from '../../domain/errors';
import type { TeamsConnector, OutgoingCard } from './connector';
import type { ConversationTarget } from '../../ports/conversations';

function referenceOf(target: ConversationTarget): ConversationReference {
  return {
    channelId: 'msteams',
    serviceUrl: target.serviceUrl,
    conversation: {
      id: target.conversationId,
      conversationType: target.conversationType,
      isGroup: target.conversationType !== 'personal',
      ...(target.tenantId ? { tenantId: target.tenantId } : {}),
    },
    agent: { id: target.botId, name: 'AccessManager' },
    ...(target.userId ? { user: { id: target.userId, ...(target.userName ? { name: target.userName } : {}), ...(target.userObjectId ? { aadObjectId: target.userObjectId } : {}) } } : {}),
  };
}

function messageOf(message: OutgoingCard) {
  const activity = MessageFactory.attachment(CardFactory.adaptiveCard(message.card));
  activity.summary = message.summary;
  return activity;
}

function statusOf(err: unknown): number | undefined {
  const status = (err as { status?: unknown } | undefined)?.status;
  return typeof status === 'number' ? status : undefined;
}

/** Connector failures: throttling, outages and unreachable endpoints are worth a retry; anything else is reported as ours. */
function toConnectorError(err: unknown, what: string): Error {
  const status = statusOf(err);
  const detail = err instanceof Error ? err.message : String(err);
  // Checked by message: the SDK wraps errors from another realm (Node's fetch under a test sandbox) in its own.
  const unreachable = status === undefined && /fetch failed|ECONNREFUSED|ECONNRESET|ETIMEDOUT/i.test(detail);
  if (unreachable || status === 429 || (status !== undefined && status >= 500)) return new TransientError(`Teams could not ${what} (${detail}); retry later.`, 'TeamsUnavailable');
  return new InternalError(`Teams refused to ${what}: ${detail}`, 'TeamsRefused');
}

export class AgentsTeamsConnector implements TeamsConnector {
  /** `botAppId` names the bot to the adapter (the audience of its outbound identity). */
  constructor(
    private readonly adapter: CloudAdapter,
    private readonly botAppId: string,
  ) {}

  private async inConversation(target: ConversationTarget, what: string, work: (context: TurnContext) => Promise<void>): Promise<void> {
    try {
      await this.adapter.continueConversation(this.botAppId, referenceOf(target), work);
    } catch (err) {
      if (err instanceof TransientError || err instanceof InternalError) throw err;
      throw toConnectorError(err, what);
    }
  }

  async send(target: ConversationTarget, message: OutgoingCard): Promise<string> {
    let activityId: string | undefined;
    await this.inConversation(target, 'send a card', async (context) => {
      // The proactive turn's activity has an id, so the SDK would send a reply to it: make it a fresh message.
      context.onSendActivities(async (_ctx, activities, next) => {
        for (const activity of activities) delete activity.replyToId;
        return next();
      });
      activityId = (await context.sendActivity(messageOf(message)))?.id;
    });
    if (!activityId) throw new TransientError(`Teams accepted the card for ${target.conversationId} but returned no activity id; retry later.`, 'TeamsNoActivityId');
    return activityId;
  }

  async update(target: ConversationTarget, activityId: string, message: OutgoingCard): Promise<'updated' | 'gone'> {
    try {
      await this.adapter.continueConversation(this.botAppId, referenceOf(target), async (context) => {
        const activity = messageOf(message);
        activity.id = activityId;
        await context.updateActivity(activity);
      });
      return 'updated';
    } catch (err) {
      if (statusOf(err) === 404) return 'gone';
      throw toConnectorError(err, 'update a card');
    }
  }
}
