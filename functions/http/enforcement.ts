/** Enforcement for admins: `GET /api/enforcement` (every policy's mode and breaker) and `POST /api/enforcement/reset {policyId}` (closes a tripped breaker). */
import { z } from 'zod';
import { enforcementStatus, resetEnforcement } from '../../shared/usecases/enforcement';
import { readJsonBody } from './respond';
import type { HttpFunction } from '../types';
import { api, json, type GetApp } from './api';

const resetBody = z.strictObject({ policyId: z.string().trim().min(1, 'policyId is required').max(200) });

export function enforcementFunctions(getApp: GetApp): HttpFunction[] {
  return [
    {
      kind: 'http',
      name: 'enforcementStatus',
      route: 'enforcement',
      methods: ['GET'],
      handler: api(getApp, async (_req, deps) => json(200, { items: await enforcementStatus(deps) }), { adminOnly: true }),
    },
    {
      kind: 'http',
      name: 'resetEnforcement',
      route: 'enforcement/reset',
      methods: ['POST'],
      handler: api(getApp, async (req, deps, caller) => json(200, await resetEnforcement(deps, caller, (await readJsonBody(req, resetBody)).policyId)), { adminOnly: true }),
    },
  ];
}
