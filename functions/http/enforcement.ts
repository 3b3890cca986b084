/** `POST /api/enforcement/reset {policyId}` (admin): closes a tripped blast-radius breaker. */
import { z } from 'zod';
import { resetBreakerDoc } from '../../shared/adapters/cosmos/breakerStore';
import { NotFoundError } from '../../shared/domain/errors';
import { readJsonBody } from './respond';
import type { HttpFunction } from '../types';
import { api, json, type GetDeps } from './api';

const resetBody = z.strictObject({ policyId: z.string().trim().min(1, 'policyId is required').max(200) });

export function enforcementFunctions(getDeps: GetDeps): HttpFunction[] {
  return [
    {
      kind: 'http',
      name: 'resetEnforcement',
      route: 'enforcement/reset',
      methods: ['POST'],
      handler: api(
        getDeps,
        async (req, deps, caller) => {
          const { policyId } = await readJsonBody(req, resetBody);
          const policy = deps.policies.byId(policyId);
          if (!policy) throw new NotFoundError(`No policy ${policyId}; known policies: ${deps.policies.policies.map((p) => p.id).join(', ')}.`, 'PolicyNotFound');
          const now = deps.clock.now();
          const wasTripped = await resetBreakerDoc(deps.stores.state, policy.id, now, caller.id);
          if (wasTripped) {
            await deps.audit.append({
              action: 'breaker.reset',
              actor: { id: caller.id, name: caller.name },
              policyId: policy.id,
              mode: policy.mode,
              scope: policy.scope,
              reason: `enforcement of ${policy.id} resumed by an admin`,
            });
          }
          return json(200, { policyId: policy.id, reset: wasTripped, mode: policy.mode });
        },
        { adminOnly: true },
      ),
    },
  ];
}
