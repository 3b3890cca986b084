/** Admin HTTP functions over the audit ledger: query with filters and continuation, and verify the chains. */
import type { HttpFunction } from '../types';
import { api, json, type GetApp } from './api';

export function auditFunctions(getApp: GetApp): HttpFunction[] {
  return [
    {
      kind: 'http',
      name: 'queryAudit',
      route: 'audit',
      methods: ['GET'],
      handler: api(
        getApp,
        async (req, deps) => {
          const raw: Record<string, string> = {};
          req.query.forEach((v, k) => {
            raw[k] = v;
          });
          const page = await deps.audit.query(raw);
          return json(200, { items: page.items, continuationToken: page.continuationToken ?? null });
        },
        { adminOnly: true },
      ),
    },
    {
      kind: 'http',
      name: 'verifyAudit',
      route: 'audit/verify',
      methods: ['GET'],
      handler: api(
        getApp,
        async (_req, deps) => {
          const result = await deps.audit.verify();
          return json(200, {
            ok: result.ok,
            checked: result.checked,
            chains: result.chains,
            ...(result.firstBadId ? { firstBadId: result.firstBadId, problem: result.problem } : {}),
            ...(result.tail ? { tail: result.tail } : {}),
          });
        },
        { adminOnly: true },
      ),
    },
  ];
}
