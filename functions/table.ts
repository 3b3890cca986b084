/**
 * The registration table: every function of AccessManager, listed once. The Azure Functions
 * host registers it through ./index.ts; the local host (dev/host) mounts the same entries.
 */
import { eventFunctions, reconcileTimer } from './events';
import { accessFunctions } from './http/access';
import { auditFunctions } from './http/audit';
import { enforcementFunctions } from './http/enforcement';
import type { GetDeps } from './http/api';
import { grantFunctions } from './http/grants';
import { healthFunction } from './http/health';
import { messagesFunction } from './http/messages';
import { requestFunctions } from './http/requests';
import { timerFunctions } from './timers';
import type { FunctionSpec } from './types';

export function functionTable(getDeps: GetDeps): FunctionSpec[] {
  return [
    healthFunction(getDeps),
    ...requestFunctions(getDeps),
    ...grantFunctions(getDeps),
    ...auditFunctions(getDeps),
    messagesFunction(getDeps),
    ...accessFunctions(getDeps),
    ...enforcementFunctions(getDeps),
    ...eventFunctions(getDeps),
    ...timerFunctions(getDeps),
    reconcileTimer(getDeps),
  ];
}
