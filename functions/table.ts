/**
 * The registration table: every function of AccessManager, listed once. The Azure Functions
 * host registers it through ./index.ts; the local host (dev/host) mounts the same entries.
 */
import { eventFunctions, reconcileTimer } from './events';
import { accessFunctions } from './http/access';
import { auditFunctions } from './http/audit';
import { enforcementFunctions } from './http/enforcement';
import type { GetApp } from './http/api';
import { grantFunctions } from './http/grants';
import { healthFunction } from './http/health';
import { messagesFunction } from './http/messages';
import { requestFunctions } from './http/requests';
import { suggestionFunction } from './http/suggestions';
import { timerFunctions } from './timers';
import type { FunctionSpec } from './types';

export function functionTable(getApp: GetApp): FunctionSpec[] {
  return [
    healthFunction(getApp),
    ...requestFunctions(getApp),
    suggestionFunction(getApp),
    ...grantFunctions(getApp),
    ...auditFunctions(getApp),
    messagesFunction(getApp),
    ...accessFunctions(getApp),
    ...enforcementFunctions(getApp),
    ...eventFunctions(getApp),
    ...timerFunctions(getApp),
    reconcileTimer(getApp),
  ];
}
