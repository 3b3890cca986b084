/**
 * The Notifier port on Teams. A new request sends approval cards to its approvers; every later
 * change of a request (approval, resolution, cancellation, timeout, grant) re-renders all of its
 * cards in place; people hear about their own requests and grants in their 1:1 chat (with a
 * Renew action before a grant expires); the security channel hears auto-revocations and
 * breaker trips. Each recipient is sent a notification's key at most once.
 */
import type { Clock } from '../../domain/clock';
import type { PolicySet } from '../../domain/policy';
import { TransientError } from '../../domain/errors';
import type { Config } from '../../config';
import type { ConversationRepository, ConversationTarget } from '../../ports/conversations';
import type { Directory } from '../../ports/directory';
import type { GrantRepository } from '../../ports/grants';
import type { RequestRepository } from '../../ports/requests';
import type { Notification, NotificationKind, Notifier } from '../../ports/notifier';
import type { TeamsChannel } from '../../domain/policy/types';
import { requestUrl, type CardNotice } from '../../domain/cards/approvalCard';
import type { CardStore } from '../cosmos/cardStore';
import type { OutgoingCard, TeamsConnector } from './connector';
import { CardDelivery } from './delivery';
import { noticeCard, renewCardForGrant } from '../../domain/cards/notificationCards';
import { RequestCards, type CardReport } from './requestCards';
import type { SentKeys } from '../cosmos/sentKeys';
import { settleLimited } from '../../domain/concurrency';

/** Where security alerts go besides the policies' own channels (see compositionRoot: it always exists). */
export interface SecurityDestination {
  /** Object ids of users or groups whose members hear alerts in their 1:1 chat. */
  contacts: string[];
  /** A channel for alerts of policies that name none. */
  channel?: TeamsChannel;
}

export interface TeamsNotifierDeps {
  requests: RequestRepository;
  grants: GrantRepository;
  conversations: ConversationRepository;
  /** The approval cards sent for each request, so every one can be updated in place. */
  cards: CardStore;
  /** Notification keys already delivered to each recipient. */
  sentKeys: SentKeys;
  policies: PolicySet;
  directory: Directory;
  clock: Clock;
  config: Pick<Config, 'AZURE_TENANT_ID' | 'BOT_APP_ID' | 'TEAMS_CONNECTOR_ENDPOINT' | 'PUBLIC_BASE_URL'>;
  security?: SecurityDestination;
}

const PARALLEL_SENDS = 8;
/** How long a reference looked up ahead (expectRecipients) may be used: a reference Teams changed meanwhile costs at most a notice. */
const EXPECTED_TTL_MS = 60_000;

const TONES: Partial<Record<NotificationKind, CardNotice['tone']>> = {
  'request.approved': 'good',
  'grant.created': 'good',
  'grant.renewed': 'good',
  'request.denied': 'attention',
  'grant.revoked': 'attention',
  'grant.expired': 'attention',
  'grant.endedExternally': 'attention',
  'assignment.revoked': 'attention',
  'assignment.revokeFailed': 'attention',
  'breaker.tripped': 'attention',
  'enforcement.rogueActor': 'attention',
  'enforcement.selfAccessLost': 'attention',
  'enforcement.selfAccessRestored': 'good',
  'request.timedOut': 'warning',
  'request.cancelled': 'warning',
  'grant.expiring': 'warning',
};

/** Kinds after which the cards of the request must be re-rendered. */
function changesRequestCards(n: Notification): boolean {
  return n.requestId !== undefined && (n.kind.startsWith('request.') || n.kind === 'grant.created');
}

export interface TeamsNotifierOptions {
  log?: (line: string) => void;
}

export class TeamsNotifier implements Notifier {
  private readonly delivery: CardDelivery;
  private readonly requestCards: RequestCards;
  private readonly grants: GrantRepository;
  private readonly log: (line: string) => void;

  constructor(
    private readonly deps: TeamsNotifierDeps,
    connector: TeamsConnector,
    options: TeamsNotifierOptions = {},
  ) {
    this.delivery = new CardDelivery(
      connector,
      deps.conversations,
      deps.sentKeys,
      { tenantId: deps.config.AZURE_TENANT_ID, botAppId: deps.config.BOT_APP_ID, connectorEndpoint: deps.config.TEAMS_CONNECTOR_ENDPOINT },
      deps.clock,
    );
    this.requestCards = new RequestCards({
      requests: deps.requests,
      cards: deps.cards,
      delivery: this.delivery,
      policies: deps.policies,
      directory: deps.directory,
      clock: deps.clock,
      publicBaseUrl: deps.config.PUBLIC_BASE_URL,
    });
    this.grants = deps.grants;
    this.log = options.log ?? ((line) => console.warn(line));
  }

  /** Said once per person (and once for the missing channel): the log should show the gap, not repeat it on every card. */
  private readonly alreadyReported = new Set<string>();

  private reportOnce(what: string, line: string): void {
    if (this.alreadyReported.has(what)) return;
    this.alreadyReported.add(what);
    this.log(line);
  }

  async notify(n: Notification): Promise<void> {
    const failures: string[] = [];
    const note = (report: CardReport) => {
      failures.push(...report.failures);
      const unreported = report.unreachable.filter((id) => !this.alreadyReported.has(`person:${id}`));
      for (const id of unreported) this.alreadyReported.add(`person:${id}`);
      if (unreported.length > 0) this.log(`Teams: no conversation with ${unreported.join(', ')} (the app is not installed for them): they get no cards until it is.`);
    };
    if (n.kind === 'request.pending') {
      if (n.requestId) note(await this.requestCards.send(n.requestId, n.recipients, n.key));
    } else {
      if (changesRequestCards(n)) note(await this.requestCards.sync(n.requestId!));
      note(n.kind === 'grant.expiring' && n.grantId ? await this.sendRenewCards(n, n.grantId) : await this.sendNotices(n));
    }
    if (n.securityChannel) failures.push(...(await this.tellSecurityChannels(n)));
    if (failures.length > 0) throw new TransientError(`Teams delivery of ${n.kind} (${n.key}) failed for ${failures.length} card(s): ${failures.slice(0, 3).join('; ')}`, 'TeamsDeliveryFailed');
  }

  private link(n: Notification): { title: string; url: string } | undefined {
    return n.requestId ? { title: 'Open the request', url: requestUrl(this.deps.config.PUBLIC_BASE_URL, n.requestId) } : undefined;
  }

  /** References looked up ahead for notices about to be sent, each used once within EXPECTED_TTL_MS. */
  private readonly expected = new Map<string, { target: ConversationTarget | undefined; at: number }>();

  async expectRecipients(recipientIds: readonly string[]): Promise<void> {
    const now = this.deps.clock.now().getTime();
    for (const [id, e] of this.expected) if (now - e.at >= EXPECTED_TTL_MS) this.expected.delete(id);
    const ids = [...new Set(recipientIds.map((r) => r.toLowerCase()))];
    const found = await this.delivery.conversations.forPeople(ids);
    for (const id of ids) this.expected.set(id, { target: found.get(id), at: now });
  }

  /** A person's 1:1 conversation: looked up ahead (used once) or read now. */
  private async reach(recipient: string): Promise<ConversationTarget | undefined> {
    const ahead = this.expected.get(recipient);
    if (ahead) {
      this.expected.delete(recipient);
      if (this.deps.clock.now().getTime() - ahead.at < EXPECTED_TTL_MS) return ahead.target;
    }
    return this.delivery.conversations.forPerson(recipient);
  }

  /** Sends the same card to each recipient's 1:1 chat, once per recipient and key. */
  private async toPeople(n: Notification, message: OutgoingCard): Promise<CardReport> {
    const report: CardReport = { sent: 0, updated: 0, unreachable: [], failures: [] };
    const recipients = [...new Set(n.recipients.map((r) => r.toLowerCase()))];
    const failures = await settleLimited(recipients, PARALLEL_SENDS, async (recipient) => {
      const target = await this.reach(recipient);
      if (!target) {
        report.unreachable.push(recipient);
        return;
      }
      if ((await this.delivery.sendOnce(`${n.key}|${recipient}`, target, message, { claim: !n.deduplicatedByCaller })).outcome === 'sent') report.sent++;
    });
    report.failures = failures.map((f) => `${f.item}: ${f.error instanceof Error ? f.error.message : String(f.error)}`);
    return report;
  }

  private sendNotices(n: Notification): Promise<CardReport> {
    const tone = TONES[n.kind];
    const link = this.link(n);
    return this.toPeople(n, { card: noticeCard({ subject: n.subject, text: n.text, ...(tone ? { tone } : {}), ...(link ? { link } : {}) }), summary: n.subject });
  }

  /** The expiry warning: a card with a Renew action offering the durations the policy allows. */
  private async sendRenewCards(n: Notification, grantId: string): Promise<CardReport> {
    const grant = await this.grants.get(grantId);
    if (!grant) return this.sendNotices(n);
    return this.toPeople(n, { card: renewCardForGrant(this.deps.policies, grant, this.deps.clock.now()), summary: n.subject });
  }

  /**
   * The channels that hear about a policy: its own and those of the policies above it; else the
   * configured security channel; else every channel a policy names (an alert must land somewhere).
   */
  private securityChannels(policyId?: string): TeamsChannel[] {
    const collect = (policies: readonly { notify?: { teamsChannel?: TeamsChannel } }[]) => {
      const seen = new Map<string, TeamsChannel>();
      for (const p of policies) if (p.notify?.teamsChannel) seen.set(p.notify.teamsChannel.channelId, p.notify.teamsChannel);
      return [...seen.values()];
    };
    const policy = policyId ? this.deps.policies.byId(policyId) : undefined;
    const own = policy ? collect(this.deps.policies.governingChain(policy.scope)) : [];
    if (own.length > 0) return own;
    if (this.deps.security?.channel) return [this.deps.security.channel];
    return collect(this.deps.policies.policies);
  }

  /** The people of the security contacts (users as they are, groups by their members). */
  private async securityPeople(): Promise<string[]> {
    const contacts = this.deps.security?.contacts ?? [];
    const members = contacts.length > 0 ? await this.deps.directory.usersInGroups(contacts) : [];
    return [...new Set([...contacts, ...members.map((m) => m.id)].map((id) => id.toLowerCase()))];
  }

  /**
   * Security alerts go to the channels above and, when there is none or the alert is critical,
   * to the security contacts' 1:1 chats: the destination always exists.
   */
  private async tellSecurityChannels(n: Notification): Promise<string[]> {
    const channels = this.securityChannels(n.policyId);
    const tone = TONES[n.kind];
    const message: OutgoingCard = { card: noticeCard({ subject: n.subject, text: n.text, ...(tone ? { tone } : {}) }), summary: n.subject };
    const failures = (
      await settleLimited(channels, PARALLEL_SENDS, async (channel) => {
        await this.delivery.sendOnce(`${n.key}|channel:${channel.channelId}`, await this.delivery.channelTarget(channel), message);
      })
    ).map((f) => `channel ${f.item.channelId}: ${f.error instanceof Error ? f.error.message : String(f.error)}`);
    if (channels.length === 0 || n.severity === 'critical') {
      const people = await this.securityPeople();
      if (people.length === 0) this.reportOnce('securityChannel', `Teams: security alerts (${n.kind}: ${n.subject}) have nowhere to go; set SECURITY_CONTACTS or notify.teamsChannel.`);
      const report = await this.toPeople({ ...n, recipients: people, key: `${n.key}|security`, deduplicatedByCaller: false }, message);
      failures.push(...report.failures);
    }
    return failures;
  }
}
