/** Notifications are best effort: a Teams outage must not undo or block a decision already made. */
import type { Deps } from '../ports/deps';

export async function notifySafely(deps: Pick<Deps, 'notifier'>, n: Parameters<Deps['notifier']['notify']>[0]): Promise<void> {
  try {
    await deps.notifier.notify(n);
  } catch (err) {
    console.warn(`Notification ${n.kind} (${n.key}) failed: ${err instanceof Error ? err.message : String(err)}`);
  }
}
