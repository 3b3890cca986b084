/** HTTP functions of access requests (API.md): decode, call the use case, encode. */
import { z } from 'zod';
import { readJsonBody } from './respond';
import { cancelRequest, createRequest, decideRequest, getRequest, listRequests } from '../../shared/usecases/requests';
import { createGuardrailExceptionRequest } from '../../shared/usecases/guardrailExceptions';
import type { HttpFunction } from '../types';
import { api, idParam, json, readQuery, type GetApp } from './api';

const text = (field: string, max: number) => z.string({ error: `${field} must be a string` }).max(max, `${field} must be at most ${max} characters`);

const operationList = (field: string) =>
  z.array(text(field, 300).trim().min(1, `${field} must not hold empty names`), { error: `${field} must be a list of operation names` }).max(50, `${field} holds at most 50 operations`).optional();

/** What the access is for: words for approvers and/or the operations needed (see POST /api/suggestions). */
const needBody = z.strictObject({
  text: text('need.text', 2000).optional(),
  actions: operationList('need.actions'),
  dataActions: operationList('need.dataActions'),
});

export const newRequestBody = z.strictObject({
  scope: text('scope', 1000).min(1, 'scope is required: an ARM scope such as /subscriptions/<id>/resourceGroups/<name>'),
  role: text('role', 300).min(1, 'role is required: a role name (Storage Blob Data Reader), GUID or role definition id'),
  duration: text('duration', 50).min(1, 'duration is required: ISO 8601, e.g. PT8H'),
  justification: text('justification', 2000).default(''),
  principalId: z.string().uuid('principalId must be an object id (GUID)').optional(),
  need: needBody.optional(),
});

/**
 * POST /api/requests: a role request (`kind` absent or `role`: the body above, unchanged) or a
 * guardrail exception (`kind: guardrailException` with `guardrail`; no role, need or principalId).
 */
export const createRequestBody = z
  .strictObject({
    kind: z.enum(['role', 'guardrailException'], { error: 'kind must be role (default) or guardrailException' }).optional(),
    scope: newRequestBody.shape.scope,
    role: text('role', 300).optional(),
    duration: newRequestBody.shape.duration,
    justification: newRequestBody.shape.justification,
    principalId: newRequestBody.shape.principalId,
    need: newRequestBody.shape.need,
    guardrail: z
      .strictObject({
        property: text('guardrail.property', 100).min(1, 'guardrail.property is required: the guarded setting, e.g. allowSharedKeyAccess'),
        allowedValue: z.union([z.boolean(), text('guardrail.allowedValue', 100)], { error: 'guardrail.allowedValue must be true, false or a string value of the setting' }),
        compensatingControl: text('guardrail.compensatingControl', 2000),
      })
      .optional(),
  })
  .superRefine((b, ctx) => {
    if (b.kind === 'guardrailException') {
      if (!b.guardrail) ctx.addIssue({ code: 'custom', path: ['guardrail'], message: 'guardrail is required for a guardrail exception: {property, allowedValue, compensatingControl}' });
      for (const field of ['role', 'principalId', 'need'] as const) {
        if (b[field] !== undefined) ctx.addIssue({ code: 'custom', path: [field], message: `${field} does not belong in a guardrail exception request` });
      }
    } else {
      if (b.role === undefined || b.role.length === 0) ctx.addIssue({ code: 'custom', path: ['role'], message: 'role is required: a role name (Storage Blob Data Reader), GUID or role definition id' });
      if (b.guardrail !== undefined) ctx.addIssue({ code: 'custom', path: ['guardrail'], message: 'guardrail belongs only in a request with kind guardrailException' });
    }
  });

const approveBody = z.strictObject({ comment: text('comment', 2000).optional() });
// Whether a denial needs a reason is the rules' call (decisionProblem); here only its shape.
const denyBody = z.strictObject({ reason: text('reason', 2000).trim() });
const emptyBody = z.strictObject({});

const listQuery = z.strictObject({
  status: z.enum(['pending', 'approved', 'denied', 'cancelled', 'timedOut', 'failed']).optional(),
  mine: z.enum(['true', 'false']).optional(),
  approver: z.literal('me', { error: 'approver only accepts "me"' }).optional(),
  limit: z.coerce.number().int().min(1).max(200).optional(),
  continuationToken: z.string().max(2000).optional(),
});

export function requestFunctions(getApp: GetApp): HttpFunction[] {
  return [
    {
      kind: 'http',
      name: 'createRequest',
      route: 'requests',
      methods: ['POST'],
      handler: api(getApp, async (req, deps, caller) => {
        const { kind, guardrail, role, ...rest } = await readJsonBody(req, createRequestBody);
        if (kind === 'guardrailException' && guardrail) {
          return json(201, publicRequest(await createGuardrailExceptionRequest(deps, caller, { scope: rest.scope, duration: rest.duration, justification: rest.justification, ...guardrail })));
        }
        return json(201, publicRequest(await createRequest(deps, caller, { ...rest, role: role ?? '' })));
      }),
    },
    {
      kind: 'http',
      name: 'listRequests',
      route: 'requests',
      methods: ['GET'],
      handler: api(getApp, async (req, deps, caller) => {
        const q = readQuery(req, listQuery);
        const page = await listRequests(deps, caller, { status: q.status, mine: q.mine === 'true', approverMe: q.approver === 'me', limit: q.limit, continuationToken: q.continuationToken });
        return json(200, { items: page.items.map(publicRequest), continuationToken: page.continuationToken ?? null });
      }),
    },
    {
      kind: 'http',
      name: 'getRequest',
      route: 'requests/{id}',
      methods: ['GET'],
      handler: api(getApp, async (req, deps, caller) => json(200, publicRequest(await getRequest(deps, caller, idParam(req, 'id'))))),
    },
    {
      kind: 'http',
      name: 'approveRequest',
      route: 'requests/{id}/approve',
      methods: ['POST'],
      handler: api(getApp, async (req, deps, caller) => {
        const id = idParam(req, 'id');
        const body = await readJsonBody(req, approveBody, { allowEmpty: true });
        return json(200, publicRequest(await decideRequest(deps, caller, id, { decision: 'approve', comment: body?.comment })));
      }),
    },
    {
      kind: 'http',
      name: 'denyRequest',
      route: 'requests/{id}/deny',
      methods: ['POST'],
      handler: api(getApp, async (req, deps, caller) => {
        const id = idParam(req, 'id');
        const body = await readJsonBody(req, denyBody);
        return json(200, publicRequest(await decideRequest(deps, caller, id, { decision: 'deny', comment: body.reason })));
      }),
    },
    {
      kind: 'http',
      name: 'cancelRequest',
      route: 'requests/{id}/cancel',
      methods: ['POST'],
      handler: api(getApp, async (req, deps, caller) => {
        const id = idParam(req, 'id');
        await readJsonBody(req, emptyBody, { allowEmpty: true });
        return json(200, publicRequest(await cancelRequest(deps, caller, id)));
      }),
    },
  ];
}

/** The API shape of a request: the audit outbox is internal bookkeeping. */
export function publicRequest<R extends { outbox?: unknown }>(request: R): Omit<R, 'outbox'> {
  const { outbox: _outbox, ...rest } = request;
  return rest;
}
