/**
 * Fits an enforcement decision's audit entry to the ledger's field limits. ARM ids can be longer
 * than the ledger's 2,048-character id fields (a Key Vault secret name, nested resources), and an
 * event may carry a longer id or caller name than the ledger takes: a revocation is recorded
 * before it is made, so an entry that did not fit would stop the revocation itself, every time.
 * Long values are cut and end with "…"; the full assignment and event ids move to `details`.
 */
import { AUDIT_LIMITS as LIMITS, type AuditEntry } from './record';

/** `details` must stay under the ledger's 4,096 bytes with room for the decision's own fields. */
const DETAIL_BYTES = { assignmentId: 3000, eventId: 400 } as const;

const ELLIPSIS = '…';

/** `text` cut to at most `max` code units, ending with "…" when cut, never splitting a surrogate pair. */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = max - ELLIPSIS.length;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  return text.slice(0, end) + ELLIPSIS;
}

/** `text` cut to at most `maxBytes` of UTF-8. */
function clipBytes(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text, 'utf8') <= maxBytes) return text;
  let max = Math.min(text.length, maxBytes);
  while (max > 1 && Buffer.byteLength(clip(text, max), 'utf8') > maxBytes) max = Math.floor(max * 0.9);
  return clip(text, max);
}

export function fitForLedger(entry: AuditEntry): AuditEntry {
  const fitted: AuditEntry = { ...entry, actor: { ...entry.actor } };
  const untruncated: Record<string, string> = {};
  const fit = (field: 'scope' | 'assignmentId' | 'roleDefinitionId' | 'eventId' | 'principalId' | 'policyId' | 'grantId' | 'requestId', max: number): void => {
    const value = entry[field];
    if (value === undefined || value.length <= max) return;
    fitted[field] = clip(value, max);
    if (field === 'assignmentId' || field === 'eventId') untruncated[field] = clipBytes(value, DETAIL_BYTES[field]);
  };
  fit('scope', LIMITS.armId);
  fit('assignmentId', LIMITS.armId);
  fit('roleDefinitionId', LIMITS.armId);
  fit('eventId', LIMITS.eventId);
  fit('principalId', LIMITS.shortId);
  fit('policyId', LIMITS.shortId);
  fit('grantId', LIMITS.shortId);
  fit('requestId', LIMITS.shortId);
  if (entry.reason !== undefined) fitted.reason = clip(entry.reason, LIMITS.reason);
  if (entry.actor.name !== undefined) fitted.actor.name = clip(entry.actor.name, LIMITS.actorName);
  if (entry.actor.id !== undefined) fitted.actor.id = clip(entry.actor.id, LIMITS.actorId);
  if (entry.actor.appId !== undefined) fitted.actor.appId = clip(entry.actor.appId, LIMITS.actorId);
  if (Object.keys(untruncated).length > 0) fitted.details = { ...(entry.details ?? {}), ...untruncated };
  return fitted;
}
