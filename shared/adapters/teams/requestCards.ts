/**
 * The approval cards of one request: sending them to its approvers (1:1, or to the channel its
 * policy names) and keeping every sent card true by re-rendering it from the stored request
 * whenever the request changes. Cards are rendered per recipient, so each approver sees their
 * own decision and only undecided approvers get buttons.
 */
import type { Directory } from '../../ports/directory';
import type { RequestRepository } from '../../ports/requests';
import type { Clock } from '../../domain/clock';
import type { PolicySet } from '../../domain/policy';
import type { AccessRequest } from '../../domain/requests/model';
import { principalNameOf, renderApprovalCard, statusLine, type CardViewer } from '../../domain/cards/approvalCard';
import type { CardStore, SentCard } from '../cosmos/cardStore';
import type { OutgoingCard } from './connector';
import type { ConversationTarget } from '../../ports/conversations';
import { type CardDelivery } from './delivery';
import { settleLimited } from '../../domain/concurrency';

const PARALLEL_SENDS = 8;
/** Re-renders after which a request still changing is left to the notification of its next change. */
const MAX_SYNC_ROUNDS = 3;

export interface RequestCardsDeps {
  requests: RequestRepository;
  cards: CardStore;
  delivery: CardDelivery;
  policies: PolicySet;
  directory: Directory;
  clock: Clock;
  publicBaseUrl: string;
}

export interface CardReport {
  sent: number;
  updated: number;
  /** Approvers without a stored conversation (the app is not installed for them). */
  unreachable: string[];
  failures: string[];
}

/** What a card shows that can change; two renders with the same fingerprint differ at most in "time left". */
export function requestFingerprint(r: AccessRequest): string {
  return JSON.stringify([r.status, r.approvals.length, r.fulfilled ?? null, r.grantId ?? null, r.failureReason ?? null]);
}

function targetOf(card: SentCard): ConversationTarget {
  return {
    serviceUrl: card.serviceUrl,
    conversationId: card.conversationId,
    conversationType: card.conversationType,
    botId: card.botId,
    ...(card.tenantId ? { tenantId: card.tenantId } : {}),
    ...(card.userId ? { userId: card.userId } : {}),
    ...(card.userObjectId ? { userObjectId: card.userObjectId } : {}),
  };
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The name of the principal when someone asked on their behalf (shown on the card); undefined otherwise or when unknown. */
export class RequestCards {
  constructor(private readonly d: RequestCardsDeps) {}

  private principalName(request: AccessRequest): Promise<string | undefined> {
    return principalNameOf(this.d.directory, request);
  }

  private render(request: AccessRequest, viewer: CardViewer, refreshUserIds: string[], principalName: string | undefined): OutgoingCard {
    return {
      card: renderApprovalCard({ request, now: this.d.clock.now(), publicBaseUrl: this.d.publicBaseUrl, viewer, refreshUserIds, principalName }),
      summary: `Access request: ${request.roleName} for ${request.requester.name} - ${statusLine(request, this.d.clock.now()).text}`,
    };
  }

  private renderSent(request: AccessRequest, card: SentCard, principalName: string | undefined): OutgoingCard {
    const viewer: CardViewer = card.recipient.startsWith('channel:') ? { kind: 'channel' } : { kind: 'person', objectId: card.userObjectId ?? card.recipient };
    return this.render(request, viewer, card.refreshUserIds ?? (card.userId ? [card.userId] : []), principalName);
  }

  /**
   * Sends the card of a new request to each approver once (`key` + recipient is the
   * idempotency key, so a retry sends only what is missing), or once to the policy's channel,
   * and records every sent activity.
   */
  async send(requestId: string, approverIds: readonly string[], key: string): Promise<CardReport> {
    const report: CardReport = { sent: 0, updated: 0, unreachable: [], failures: [] };
    const request = await this.d.requests.get(requestId);
    if (!request) return report;
    const recipients = [...new Set(approverIds.map((id) => id.toLowerCase()))];
    const targets = new Map<string, ConversationTarget>();
    await settleLimited(recipients, PARALLEL_SENDS, async (id) => {
      const target = await this.d.delivery.conversations.forPerson(id);
      if (target) targets.set(id, target);
      else report.unreachable.push(id);
    });
    const principalName = await this.principalName(request);
    const channel = this.d.policies.byId(request.policyId)?.notify?.teamsChannel;

    const sent: SentCard[] = [];
    const deliver = async (recipient: string, target: ConversationTarget, viewer: CardViewer, refreshUserIds: string[]) => {
      const result = await this.d.delivery.sendOnce(`${key}|${recipient}`, target, this.render(request, viewer, refreshUserIds, principalName));
      if (result.outcome !== 'sent') return;
      sent.push({
        recipient,
        serviceUrl: target.serviceUrl,
        conversationId: target.conversationId,
        conversationType: target.conversationType,
        botId: target.botId,
        activityId: result.activityId,
        sentAt: this.d.clock.now().toISOString(),
        ...(target.tenantId ? { tenantId: target.tenantId } : {}),
        ...(target.userId ? { userId: target.userId } : {}),
        ...(target.userObjectId ? { userObjectId: target.userObjectId } : {}),
        ...(viewer.kind === 'channel' ? { refreshUserIds } : {}),
      });
      report.sent++;
    };

    const failures = channel
      ? await settleLimited([channel], 1, async (c) => {
          const refreshUserIds = [...targets.values()].map((t) => t.userId).filter((u): u is string => u !== undefined);
          await deliver(`channel:${c.channelId}`, await this.d.delivery.channelTarget(c), { kind: 'channel' }, refreshUserIds);
        })
      : await settleLimited([...targets.entries()], PARALLEL_SENDS, ([id, target]) => deliver(id, target, { kind: 'person', objectId: id }, target.userId ? [target.userId] : []));
    report.failures.push(...failures.map((f) => describe(f.error)));
    // One write for all of them. Should it be lost (a crash right here), those cards cannot be
    // updated in place, but still show the current state when opened (their refresh).
    await this.d.cards.add(requestId, sent);
    // In a channel every approver sees the card, installed app or not.
    if (channel) report.unreachable = [];

    // Approvals may have landed while the cards were on their way: bring them up to date.
    const now = await this.d.requests.get(requestId);
    if (now && requestFingerprint(now) !== requestFingerprint(request)) report.updated += (await this.sync(requestId)).updated;
    return report;
  }

  /**
   * Re-renders every card of the request from the store and replaces it in place. A render
   * that raced a newer change is followed by another round, so the last card written shows
   * the last state.
   */
  async sync(requestId: string): Promise<CardReport> {
    const report: CardReport = { sent: 0, updated: 0, unreachable: [], failures: [] };
    for (let round = 0; round < MAX_SYNC_ROUNDS; round++) {
      const request = await this.d.requests.get(requestId);
      if (!request) return report;
      const sent = await this.d.cards.cardsOf(requestId);
      if (sent.length === 0) return report;
      const principalName = await this.principalName(request);
      const failures = await settleLimited(sent, PARALLEL_SENDS, async (card) => {
        if ((await this.d.delivery.connector.update(targetOf(card), card.activityId, this.renderSent(request, card, principalName))) === 'updated') report.updated++;
      });
      report.failures = failures.map((f) => `${f.item.recipient}: ${describe(f.error)}`);
      const after = await this.d.requests.get(requestId);
      if (!after || requestFingerprint(after) === requestFingerprint(request)) return report;
    }
    return report;
  }
}
