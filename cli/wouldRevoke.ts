/**
 * `access-manager report would-revoke`: what enforce mode would have revoked during a period in
 * audit mode, from the audit trail's `assignment.wouldRevoke` records, one row per assignment
 * (however often it was judged), grouped by the policy that judged it. A team reads it before
 * switching a policy to enforce: every row is access that would be removed, so each one is
 * either expected (nobody approved it) or a missing exemption or requestable role.
 */
import { findBuiltInRole } from '../shared/domain/roles';
import type { AuditRecord } from './client';

export interface WouldRevokeRow {
  policyId: string;
  assignmentId: string;
  principalId: string;
  role: string;
  scope: string;
  firstAt: string;
  lastAt: string;
  times: number;
  reason: string;
}

export interface WouldRevokeReport {
  from: string;
  to: string;
  rows: WouldRevokeRow[];
  /** Per policy: how many distinct assignments it would have revoked. */
  byPolicy: Array<{ policyId: string; assignments: number }>;
}

const UNITS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };

/** `7d`, `36h`, `90m`, `2w`, or an ISO 8601 time: the start of the period, as an ISO time. */
export function periodStart(since: string, now: Date): string {
  const short = /^(\d{1,4})([mhdw])$/i.exec(since.trim());
  if (short) return new Date(now.getTime() - Number(short[1]) * UNITS[short[2]!.toLowerCase()]!).toISOString();
  const at = new Date(since);
  if (Number.isNaN(at.getTime()) || !/^\d{4}-\d{2}-\d{2}/.test(since.trim())) {
    throw new TypeError(`--since ${JSON.stringify(since)}: write a period (7d, 36h, 90m, 2w) or an ISO 8601 time (2026-11-20T00:00:00Z).`);
  }
  return at.toISOString();
}

function roleOf(record: AuditRecord): string {
  const guid = record.roleDefinitionId?.split('/').pop() ?? '';
  return findBuiltInRole(guid)?.roleName ?? (guid || '?');
}

export function wouldRevokeReport(records: readonly AuditRecord[], from: string, to: string): WouldRevokeReport {
  const rows = new Map<string, WouldRevokeRow>();
  for (const r of records) {
    if (r.action !== 'assignment.wouldRevoke') continue;
    const assignmentId = r.assignmentId ?? `${r.scope ?? ''}|${r.principalId ?? ''}|${r.roleDefinitionId ?? ''}`;
    const key = assignmentId.toLowerCase();
    const row = rows.get(key);
    if (row) {
      row.times++;
      if (r.at < row.firstAt) row.firstAt = r.at;
      if (r.at > row.lastAt) {
        row.lastAt = r.at;
        row.reason = r.reason ?? row.reason;
      }
      continue;
    }
    rows.set(key, {
      policyId: r.policyId ?? '(none)',
      assignmentId,
      principalId: r.principalId ?? '?',
      role: roleOf(r),
      scope: r.scope ?? '?',
      firstAt: r.at,
      lastAt: r.at,
      times: 1,
      reason: r.reason ?? '',
    });
  }
  const sorted = [...rows.values()].sort((a, b) => a.policyId.localeCompare(b.policyId) || a.scope.localeCompare(b.scope) || a.principalId.localeCompare(b.principalId));
  const counts = new Map<string, number>();
  for (const row of sorted) counts.set(row.policyId, (counts.get(row.policyId) ?? 0) + 1);
  return { from, to, rows: sorted, byPolicy: [...counts].map(([policyId, assignments]) => ({ policyId, assignments })) };
}

/** The report's closing lines on a terminal. */
export function wouldRevokeSummary(report: WouldRevokeReport): string {
  if (report.rows.length === 0) {
    return `Nothing would have been revoked between ${report.from} and ${report.to}: no assignment.wouldRevoke records.\n`;
  }
  const lines = report.byPolicy.map((p) => `  ${p.policyId}: ${p.assignments} assignment${p.assignments === 1 ? '' : 's'}`);
  return `Between ${report.from} and ${report.to}, enforce mode would have revoked ${report.rows.length} assignment${report.rows.length === 1 ? '' : 's'}:\n${lines.join('\n')}\nFor each: expected (nobody approved it), or add an exemption or a requestable role before switching to mode: enforce.\n`;
}
