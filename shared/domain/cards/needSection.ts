/**
 * The stated need on a request's card: the requested role beside the narrowest role that covers
 * the need, "broader than needed" with what else the requested role grants, or "does not cover",
 * and why the request needs an extra approval. Rendered from the verdict stored on the request.
 */
import type { AccessRequest } from '../requests/model';
import type { ExtraPermission } from '../suggestions/engine';
import { container, text, type CardElement, type Fact } from './adaptiveCard';

/** Extra permissions shown on a card; the API and CLI carry the full list. */
const SHOWN_EXTRA = 6;

export function extraLine(e: ExtraPermission): string {
  const except = e.except?.length ? ` (except ${e.except.slice(0, 3).join(', ')}${e.except.length > 3 ? ', …' : ''})` : '';
  const data = e.kind === 'dataAction' ? 'data: ' : '';
  return `${data}${e.permission}${except}${e.note ? ` - ${e.note}` : ''}${e.conditional ? ' [under a condition]' : ''}`;
}

/** Facts for the request's fact list: the stated need and the narrowest role. */
export function needFacts(request: AccessRequest): Fact[] {
  const list: Fact[] = [];
  const need = request.need;
  if (need?.text) list.push({ title: 'Stated need', value: need.text });
  if (need && need.actions.length + need.dataActions.length > 0) {
    list.push({ title: 'Needed operations', value: [...need.actions, ...need.dataActions.map((d) => `data: ${d}`)].join(', ') });
  }
  const narrowest = request.needCheck?.narrowest;
  if (narrowest) list.push({ title: 'Narrowest role', value: `${narrowest.roleName}${narrowest.requestable ? '' : ' (not requestable here)'}` });
  return list;
}

/** The verdict on the requested role, with its colour; nothing when the request states no operations. */
export function needVerdict(request: AccessRequest): CardElement[] {
  const check = request.needCheck;
  const out: CardElement[] = [];
  if (check) {
    const requested = check.requested;
    if (!requested.covers) {
      const missing = [...requested.missing.actions, ...requested.missing.dataActions].join(', ');
      out.push(container([text(`Does not cover the stated need: ${request.roleName} does not grant ${missing} at ${check.scope}.`, { weight: 'bolder', color: 'attention' })], 'attention'));
    } else if (check.broaderThanNeeded && check.narrowest) {
      const effective = requested.extra.filter((e) => e.effective);
      const lines = effective.slice(0, SHOWN_EXTRA).map((e) => text(`• ${extraLine(e)}`, { spacing: 'none' }));
      if (effective.length > SHOWN_EXTRA) lines.push(text(`… and ${effective.length - SHOWN_EXTRA} more`, { subtle: true, spacing: 'none' }));
      out.push(
        container(
          [
            text(`Broader than needed: ${check.narrowest.roleName} covers the stated need with less. ${request.roleName} also grants:`, { weight: 'bolder', color: 'warning' }),
            ...lines,
          ],
          'warning',
        ),
      );
    } else {
      out.push(text(requested.exact ? `${request.roleName} grants exactly the stated need.` : `${request.roleName} is the narrowest role that covers the stated need.`, { color: 'good' }));
    }
  }
  if (request.extraApprovalReason) out.push(text(request.extraApprovalReason, { color: 'warning' }));
  return out;
}
