/**
 * The columns the CLI shows for each kind of record: a short set for tables on a terminal,
 * every field for CSV (so an export can be re-checked and loaded elsewhere).
 */
import type { AccessItem, AccessRequest, AuditRecord, AuditVerifyResult, GrantView, Suggestion, SuggestionAnswer } from './client';
import type { Column } from './output';

function actorLabel(record: AuditRecord): string | undefined {
  return record.actor.name ?? record.actor.id ?? record.actor.appId;
}

export const auditTableColumns: Column<AuditRecord>[] = [
  { header: 'AT', value: (r) => r.at },
  { header: 'ACTION', value: (r) => r.action },
  { header: 'ACTOR', value: actorLabel, maxWidth: 28 },
  { header: 'PRINCIPAL', value: (r) => r.principalId },
  { header: 'SCOPE', value: (r) => r.scope, maxWidth: 70 },
  { header: 'REQUEST', value: (r) => r.requestId },
  { header: 'REASON', value: (r) => r.reason, maxWidth: 60 },
];

export const auditCsvColumns: Column<AuditRecord>[] = [
  { header: 'id', value: (r) => r.id },
  { header: 'at', value: (r) => r.at },
  { header: 'action', value: (r) => r.action },
  { header: 'actorId', value: (r) => r.actor.id },
  { header: 'actorName', value: (r) => r.actor.name },
  { header: 'actorAppId', value: (r) => r.actor.appId },
  { header: 'principalId', value: (r) => r.principalId },
  { header: 'scope', value: (r) => r.scope },
  { header: 'roleDefinitionId', value: (r) => r.roleDefinitionId },
  { header: 'assignmentId', value: (r) => r.assignmentId },
  { header: 'requestId', value: (r) => r.requestId },
  { header: 'grantId', value: (r) => r.grantId },
  { header: 'eventId', value: (r) => r.eventId },
  { header: 'policyId', value: (r) => r.policyId },
  { header: 'mode', value: (r) => r.mode },
  { header: 'reason', value: (r) => r.reason },
  { header: 'details', value: (r) => (r.details === undefined ? undefined : JSON.stringify(r.details)) },
  { header: 'chainId', value: (r) => r.chainId },
  { header: 'seq', value: (r) => r.seq },
  { header: 'prevHash', value: (r) => r.prevHash },
  { header: 'hash', value: (r) => r.hash },
];

/** What justifies an assignment, in one line for a table. */
export function justification(item: AccessItem): string {
  switch (item.status) {
    case 'granted': {
      const g = item.grant;
      if (!g) return 'grant';
      // The expiry has its own column; request ids are in json and csv.
      const by = g.approvers.length ? `, approved by ${g.approvers.map((a) => a.name).join(', ')}` : '';
      return `grant ${g.grantId}${by}`;
    }
    case 'exempt':
      return item.exemption ? `${item.exemption.kind} exemption${item.exemption.policyId ? ` in ${item.exemption.policyId}` : ''}: ${item.exemption.reason}` : item.reason;
    case 'unapproved':
      return `${item.policyId ?? '?'} (${item.mode ?? '?'}): ${item.reason}`;
    case 'ungoverned':
      return item.reason;
  }
}

export const accessTableColumns: Column<AccessItem>[] = [
  { header: 'STATUS', value: (i) => i.status },
  { header: 'PRINCIPAL', value: (i) => i.principalName ?? i.principalId },
  { header: 'ROLE', value: (i) => i.roleName, maxWidth: 32 },
  { header: 'SCOPE', value: (i) => i.scope, maxWidth: 90 },
  { header: 'EXPIRES', value: (i) => i.grant?.expiresAt },
  { header: 'JUSTIFICATION', value: justification, maxWidth: 120 },
];

export const accessCsvColumns: Column<AccessItem>[] = [
  { header: 'assignmentId', value: (i) => i.assignmentId },
  { header: 'status', value: (i) => i.status },
  { header: 'principalId', value: (i) => i.principalId },
  { header: 'principalName', value: (i) => i.principalName },
  { header: 'principalType', value: (i) => i.principalType },
  { header: 'roleName', value: (i) => i.roleName },
  { header: 'roleDefinitionId', value: (i) => i.roleDefinitionId },
  { header: 'scope', value: (i) => i.scope },
  { header: 'grantId', value: (i) => i.grant?.grantId },
  { header: 'requestId', value: (i) => i.grant?.requestId },
  { header: 'approvers', value: (i) => i.grant?.approvers.map((a) => `${a.name} ${a.at}`).join('; ') },
  { header: 'startsAt', value: (i) => i.grant?.startsAt },
  { header: 'expiresAt', value: (i) => i.grant?.expiresAt },
  { header: 'exemptionKind', value: (i) => i.exemption?.kind },
  { header: 'exemptionReason', value: (i) => i.exemption?.reason },
  { header: 'exemptionPolicyId', value: (i) => i.exemption?.policyId },
  { header: 'policyId', value: (i) => i.policyId },
  { header: 'mode', value: (i) => i.mode },
  { header: 'reason', value: (i) => i.reason },
];

const approvalsOf = (r: AccessRequest) => r.approvals.filter((a) => a.decision === 'approve').length;

export const requestTableColumns: Column<AccessRequest>[] = [
  { header: 'ID', value: (r) => r.id },
  { header: 'STATUS', value: (r) => r.status },
  { header: 'REQUESTER', value: (r) => r.requester.name, maxWidth: 28 },
  { header: 'ROLE', value: (r) => r.roleName, maxWidth: 32 },
  { header: 'SCOPE', value: (r) => r.scope, maxWidth: 90 },
  { header: 'DURATION', value: (r) => r.duration },
  { header: 'APPROVALS', value: (r) => `${approvalsOf(r)}/${r.requiredApprovals}` },
  { header: 'CREATED', value: (r) => r.createdAt },
];

export const requestCsvColumns: Column<AccessRequest>[] = [
  { header: 'id', value: (r) => r.id },
  { header: 'status', value: (r) => r.status },
  { header: 'requesterId', value: (r) => r.requester.id },
  { header: 'requesterName', value: (r) => r.requester.name },
  { header: 'principalId', value: (r) => r.principalId },
  { header: 'roleName', value: (r) => r.roleName },
  { header: 'roleDefinitionId', value: (r) => r.roleDefinitionId },
  { header: 'scope', value: (r) => r.scope },
  { header: 'duration', value: (r) => r.duration },
  { header: 'justification', value: (r) => r.justification },
  { header: 'policyId', value: (r) => r.policyId },
  { header: 'approvals', value: (r) => r.approvals.map((a) => `${a.approverName} ${a.decision} ${a.at}${a.comment ? ` (${a.comment})` : ''}`).join('; ') },
  { header: 'requiredApprovals', value: (r) => r.requiredApprovals },
  { header: 'createdAt', value: (r) => r.createdAt },
  { header: 'resolvedAt', value: (r) => r.resolvedAt },
  { header: 'grantId', value: (r) => r.grantId },
];

/** One request, field by field, for a table-format answer to approve or deny. */
export function requestLines(r: AccessRequest): [string, string | number | undefined][] {
  return [
    ['Request', r.id],
    ['Status', r.status],
    ['Requester', r.requester.name],
    ['Role', r.roleName],
    ['Scope', r.scope],
    ['Duration', r.duration],
    ['Need', r.need ? [r.need.text, ...r.need.actions, ...r.need.dataActions.map((d) => `data: ${d}`)].filter(Boolean).join('; ') : undefined],
    ['Narrowest', r.needCheck?.narrowest ? `${r.needCheck.narrowest.roleName}${r.needCheck.broaderThanNeeded ? ` (the requested role is broader than needed)` : ''}${r.needCheck.requested.covers ? '' : ' (the requested role does not cover the need)'}` : undefined],
    ['Extra approval', r.extraApprovalReason],
    ['Approvals', `${approvalsOf(r)}/${r.requiredApprovals}${r.approvals.length ? ` (${r.approvals.map((a) => `${a.approverName}: ${a.decision}`).join(', ')})` : ''}`],
    ['Justification', r.justification],
    ['Compensating control', r.guardrail?.compensatingControl],
    ['Policy', r.policyId],
    ['Created', r.createdAt],
    ['Grant', r.grantId],
  ];
}

export const grantTableColumns: Column<GrantView>[] = [
  { header: 'ID', value: (g) => g.id },
  { header: 'STATUS', value: (g) => g.status },
  { header: 'ROLE', value: (g) => g.roleName, maxWidth: 32 },
  { header: 'SCOPE', value: (g) => g.scope, maxWidth: 90 },
  { header: 'EXPIRES', value: (g) => g.expiresAt },
  { header: 'ENDED', value: (g) => (g.endedAt ? `${g.endedAt}${g.endReason ? ` (${g.endReason})` : ''}` : '') },
];

export const grantCsvColumns: Column<GrantView>[] = [
  { header: 'id', value: (g) => g.id },
  { header: 'status', value: (g) => g.status },
  { header: 'principalId', value: (g) => g.principalId },
  { header: 'roleName', value: (g) => g.roleName },
  { header: 'roleDefinitionId', value: (g) => g.roleDefinitionId },
  { header: 'scope', value: (g) => g.scope },
  { header: 'policyId', value: (g) => g.policyId },
  { header: 'requestId', value: (g) => g.requestId },
  { header: 'assignmentId', value: (g) => g.assignmentId },
  { header: 'startsAt', value: (g) => g.startsAt },
  { header: 'expiresAt', value: (g) => g.expiresAt },
  { header: 'endedAt', value: (g) => g.endedAt },
  { header: 'endReason', value: (g) => g.endReason },
  { header: 'approvers', value: (g) => g.approvers.map((a) => `${a.name} ${a.at}`).join('; ') },
];

/** One grant, field by field, for a table-format answer to revoke. */
export function grantLines(g: GrantView): [string, string | number | undefined][] {
  return [
    ['Grant', g.id],
    ['Status', g.status],
    ['Role', g.roleName],
    ['Scope', g.scope],
    ['Expires', g.expiresAt],
    ['Ended', g.endedAt ? `${g.endedAt}${g.endReason ? ` (${g.endReason})` : ''}` : undefined],
  ];
}

export const verifyCsvColumns: Column<AuditVerifyResult>[] = [
  { header: 'ok', value: (v) => v.ok },
  { header: 'checked', value: (v) => v.checked },
  { header: 'chains', value: (v) => v.chains },
  { header: 'firstBadId', value: (v) => v.firstBadId },
  { header: 'problem', value: (v) => v.problem },
];

export function verifySummary(v: AuditVerifyResult): string {
  const chains = v.chains === undefined ? '' : ` in ${v.chains} chain${v.chains === 1 ? '' : 's'}`;
  if (v.ok) {
    const tail = v.tail
      ? v.tail.unanchoredRecords === 0
        ? ` Every record is anchored (${v.tail.sinks.join(', ')}).`
        : ` ${v.tail.unanchoredRecords} record${v.tail.unanchoredRecords === 1 ? '' : 's'} in ${v.tail.chainsWithUnanchoredRecords} chain${v.tail.chainsWithUnanchoredRecords === 1 ? '' : 's'} lie past the last anchor (up to ${v.tail.maxUnanchoredSeconds} s): consistent, but not yet protected against a writer of the store.`
      : '';
    return `Audit ledger verified: ${v.checked} record${v.checked === 1 ? '' : 's'}${chains}, no tampering detected.${tail}\n`;
  }
  return `Audit ledger verification FAILED at record ${v.firstBadId ?? '?'}: ${v.problem ?? 'no detail'} (${v.checked} record${v.checked === 1 ? '' : 's'} verified before it${chains}).\n`;
}

const requestableLabel = (s: Suggestion) => (s.requestable ? `${s.asException ? 'as exception' : 'yes'}${s.policyId ? ` (${s.policyId})` : ''}` : `no${s.policyId ? ` (${s.policyId})` : ''}`);
const effectiveExtra = (s: Suggestion) => s.extra.filter((e) => e.effective);

export const suggestionTableColumns: Column<Suggestion & { rank: number }>[] = [
  { header: '#', value: (s) => s.rank },
  { header: 'ROLE', value: (s) => `${s.roleName}${s.fromModel ? ' *' : ''}`, maxWidth: 48 },
  { header: 'REQUESTABLE', value: requestableLabel, maxWidth: 32 },
  { header: 'EXTRA', value: (s) => (s.exact ? 'none (exact)' : `${effectiveExtra(s).length}: ${effectiveExtra(s).map((e) => e.permission).join(', ')}`), maxWidth: 100 },
];

export const suggestionCsvColumns: Column<Suggestion & { rank: number }>[] = [
  { header: 'rank', value: (s) => s.rank },
  { header: 'roleName', value: (s) => s.roleName },
  { header: 'roleDefinitionId', value: (s) => s.roleDefinitionId },
  { header: 'roleType', value: (s) => s.roleType },
  { header: 'scope', value: (s) => s.scope },
  { header: 'exact', value: (s) => s.exact },
  { header: 'requestable', value: (s) => s.requestable },
  { header: 'policyId', value: (s) => s.policyId },
  { header: 'asException', value: (s) => s.asException },
  { header: 'fromModel', value: (s) => s.fromModel },
  { header: 'extraDataActions', value: (s) => s.breadth?.dataActions },
  { header: 'extraAccessActions', value: (s) => s.breadth?.accessActions },
  { header: 'extraWriteActions', value: (s) => s.breadth?.writeActions },
  { header: 'extraReadActions', value: (s) => s.breadth?.readActions },
  { header: 'extra', value: (s) => s.extra.map((e) => `${e.kind === 'dataAction' ? 'data:' : ''}${e.permission}${e.effective ? '' : ' (not effective here)'}`).join('; ') },
];

/** The lines around the suggestion table: what was asked, where, from which sources, and the notes. */
export function suggestionHeader(a: SuggestionAnswer): string {
  const lines = [
    `Scope:  ${a.scope ?? ''}`,
    `Needs:  ${[...a.requiredActions, ...a.requiredDataActions.map((d) => `data: ${d}`)].join(', ')}`,
    `Source: ${a.source}${a.model ? ` (model ${a.model.deployment}: ${a.model.explanation})` : ''}`,
  ];
  if (a.model?.dropped.length) lines.push(`Dropped from the model's answer: ${a.model.dropped.join('; ')}`);
  return `${lines.join('\n')}\n\n`;
}

export function suggestionFooter(a: SuggestionAnswer): string {
  const marks = a.items.some((s) => s.fromModel) ? '* also named by the model\n' : '';
  return `${marks}${a.note ? `Note: ${a.note}\n` : ''}`;
}
