/** `POST /api/enforcement/reset {policyId}` (admin): closes a tripped blast-radius breaker. */
import { z } from 'zod';
import { resetEnforcement } from '../../shared/usecases/enforcement';
import { readJsonBody } from './respond';
import type { HttpFunction } from '../types';
import { api, json, type GetApp } from './api';

const resetBody = z.strictObject({ policyId: z.string().trim().min(1, 'policyId is required').max(200) });

export function enforcementFunctions(getApp: GetApp): HttpFunction[] {
  return [
    {
      kind: 'http',
      name: 'resetEnforcement',
      route: 'enforcement/reset',
      methods: ['POST'],
      handler: api(getApp, async (req, deps, caller) => json(200, await resetEnforcement(deps, caller, (await readJsonBody(req, resetBody)).policyId)), { adminOnly: true }),
    },
  ];
}
