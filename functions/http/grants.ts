/** HTTP functions of grants (API.md): list, early revoke, renew. */
import { z } from 'zod';
import { listGrants, revokeGrant } from '../../shared/usecases/grantQueries';
import { readJsonBody } from './respond';
import { renewGrant } from '../../shared/usecases/requests';
import type { HttpFunction } from '../types';
import { api, idParam, json, readQuery, type GetApp } from './api';
import { publicRequest } from './requests';

const listQuery = z.strictObject({
  principalId: z.string().uuid('principalId must be an object id (GUID)').optional(),
  scope: z.string().max(1000).startsWith('/', 'scope must be an ARM scope starting with /').optional(),
  status: z.enum(['active', 'expired', 'revoked']).optional(),
  limit: z.coerce.number().int().min(1).max(200).optional(),
  continuationToken: z.string().max(2000).optional(),
});

const revokeBody = z.strictObject({ reason: z.string().trim().min(1, 'reason is required: say why the grant ends early').max(2000) });
const renewBody = z.strictObject({
  duration: z.string().min(1, 'duration is required: ISO 8601, e.g. PT8H').max(50),
  justification: z.string().max(2000).default(''),
});

export function grantFunctions(getApp: GetApp): HttpFunction[] {
  return [
    {
      kind: 'http',
      name: 'listGrants',
      route: 'grants',
      methods: ['GET'],
      handler: api(getApp, async (req, deps, caller) => {
        const q = readQuery(req, listQuery);
        const page = await listGrants(deps, caller, { principalId: q.principalId, scope: q.scope, status: q.status, limit: q.limit, continuationToken: q.continuationToken });
        return json(200, { items: page.items.map(publicGrant), continuationToken: page.continuationToken ?? null });
      }),
    },
    {
      kind: 'http',
      name: 'revokeGrant',
      route: 'grants/{id}/revoke',
      methods: ['POST'],
      handler: api(getApp, async (req, deps, caller) => {
        const id = idParam(req, 'id');
        const body = await readJsonBody(req, revokeBody);
        return json(200, publicGrant(await revokeGrant(deps, caller, id, body.reason)));
      }),
    },
    {
      kind: 'http',
      name: 'renewGrant',
      route: 'grants/{id}/renew',
      methods: ['POST'],
      handler: api(getApp, async (req, deps, caller) => {
        const id = idParam(req, 'id');
        const body = await readJsonBody(req, renewBody);
        return json(201, publicRequest(await renewGrant(deps, caller, id, body)));
      }),
    },
  ];
}

/** The API shape of a grant: internal bookkeeping (pendingRemoval, endNoticeSentAt, scopeKey, the audit outbox) stays inside. */
function publicGrant<G extends { pendingRemoval?: boolean; endNoticeSentAt?: string; scopeKey?: string; type?: string; outbox?: unknown }>(
  grant: G,
): Omit<G, 'pendingRemoval' | 'endNoticeSentAt' | 'scopeKey' | 'type' | 'outbox'> {
  const { pendingRemoval: _p, endNoticeSentAt: _n, scopeKey: _s, type: _t, outbox: _o, ...rest } = grant;
  return rest;
}
