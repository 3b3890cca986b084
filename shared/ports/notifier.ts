/**
 * The port through which AccessManager tells people what happened. Teams implements it in
 * deployment; locally a recording notifier keeps what it would have sent.
 */

export type NotificationKind =
  | 'request.pending'
  | 'request.approved'
  | 'request.denied'
  | 'request.cancelled'
  | 'request.timedOut'
  | 'request.updated'
  | 'grant.created'
  | 'grant.expiring'
  | 'grant.expired'
  | 'grant.revoked'
  | 'grant.renewed'
  | 'grant.endedExternally'
  | 'assignment.revoked'
  | 'assignment.revokeFailed'
  | 'breaker.tripped'
  | 'enforcement.rogueActor'
  | 'enforcement.selfAccessLost'
  | 'enforcement.selfAccessRestored'
  | GuardrailNotificationKind;

/** Guardrail alerts (shared/usecases/guardrails.ts): all but the secret notices go to the security channel. */
export type GuardrailNotificationKind =
  | 'guardrail.remediated'
  | 'guardrail.wouldRemediate'
  | 'guardrail.violation'
  | 'guardrail.contested'
  | 'guardrail.exceptionEnded'
  | 'storage.keyAccess'
  | 'secret.nearExpiry'
  | 'secret.expired';

export interface Notification {
  kind: NotificationKind;
  /** Object ids of the people to tell; empty with `securityChannel` for channel-only messages. */
  recipients: string[];
  /**
   * Also tell the security destination (auto-revocations, breaker trips, AccessManager's own
   * access): the channels of the policy concerned, else the configured security contacts' 1:1 chats.
   */
  securityChannel?: boolean;
  /** `critical`: enforcement itself is impaired; the security contacts hear it in their 1:1 chats even when a channel is set. */
  severity?: 'critical';
  subject: string;
  text: string;
  requestId?: string;
  grantId?: string;
  /** The policy concerned: security alerts go to its channel (or its parents'). */
  policyId?: string;
  /** Idempotency key: the same key is delivered once, so a retried timer does not warn twice. */
  key: string;
  /**
   * The caller records the delivery itself (the ended grant's last write notes it), so the
   * notifier sends without claiming the key in the store: one write less; a crash between the
   * send and the caller's write repeats the notice.
   */
  deduplicatedByCaller?: boolean;
}

export interface Notifier {
  notify(notification: Notification): Promise<void>;
  /**
   * A hint: notices to these people follow within a minute (a batch of expiries). A notifier
   * may look up how to reach them all at once instead of once per notice. Best effort.
   */
  expectRecipients?(recipientIds: readonly string[]): Promise<void>;
}
