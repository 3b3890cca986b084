/**
 * Enforcement for admins: `GET /api/enforcement` (every policy's mode and breaker) and
 * `POST /api/enforcement/reset {policyId}`, which closes a tripped blast-radius breaker and starts
 * a paced reconcile at once, in the background, so what the breaker held back is revoked at the
 * breaker's pace instead of tripping it again. Should this instance go away first, the reconcile
 * timer carries on (the breaker paces until a reconcile finishes).
 */
import { z } from 'zod';
import { enforcementStatus, reconcile, resetEnforcement } from '../../shared/usecases/enforcement';
import { readJsonBody } from './respond';
import type { HttpFunction } from '../types';
import { api, json, type GetApp } from './api';
import type { Deps } from '../../shared/ports/deps';

const resetBody = z.strictObject({ policyId: z.string().trim().min(1, 'policyId is required').max(200) });

/** One paced reconcile per process at a time. */
let pacedRun: Promise<void> | undefined;

function startPacedReconcile(deps: Deps, log: (line: string) => void): 'started' | 'alreadyRunning' {
  if (pacedRun) return 'alreadyRunning';
  pacedRun = reconcile(deps, { paced: true })
    .then((report) => log(`reconcile after breaker reset: ${JSON.stringify(report)}`))
    .catch((err: unknown) => log(`reconcile after breaker reset failed (the timer carries on): ${err instanceof Error ? err.message : String(err)}`))
    .finally(() => {
      pacedRun = undefined;
    });
  return 'started';
}

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
      handler: api(
        getApp,
        async (req, deps, caller, context) => {
          const result = await resetEnforcement(deps, caller, (await readJsonBody(req, resetBody)).policyId);
          const started = result.reset ? startPacedReconcile(deps, (line) => context.log(line)) : 'notNeeded';
          return json(200, { ...result, reconcile: started });
        },
        { adminOnly: true },
      ),
    },
  ];
}
