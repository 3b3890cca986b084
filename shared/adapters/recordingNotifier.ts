/** A Notifier that sends nothing: it keeps every notification in memory (the local default without Teams, and what tests read). */
import type { Notification, Notifier } from '../ports/notifier';

/** Newest last; a key is kept once, as a real notifier delivers it once. */
export class RecordingNotifier implements Notifier {
  readonly sent: Notification[] = [];
  private readonly keys = new Set<string>();

  async notify(notification: Notification): Promise<void> {
    if (this.keys.has(notification.key)) return;
    this.keys.add(notification.key);
    this.sent.push(notification);
  }
}
