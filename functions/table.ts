/**
 * The registration table: every function of AccessManager, listed once. The Azure Functions
 * host registers it through ./index.ts; the local host (dev/host) mounts the same entries.
 *
 * host.json sets the route prefix to "" (so the portal can be served at `/`): every API route
 * therefore carries `api/` itself, added here once (`underApi`), so `/api/...` stays exactly where it was;
 * the portal (`{*path}`) answers everything else.
 */
import { eventFunctions, reconcileTimer } from './events';
import { accessFunctions } from './http/access';
import { catalogFunction } from './http/catalog';
import { auditFunctions } from './http/audit';
import { enforcementFunctions } from './http/enforcement';
import type { GetApp } from './http/api';
import { grantFunctions } from './http/grants';
import { healthFunction } from './http/health';
import { messagesFunction } from './http/messages';
import { portalFunction } from './http/portal';
import { requestFunctions } from './http/requests';
import { suggestionFunction } from './http/suggestions';
import { timerFunctions } from './timers';
import type { FunctionSpec } from './types';

/** The path segment every API route starts with. */
export const API_ROUTE_PREFIX = 'api';

/** An HTTP function of the API, moved under `api/`; other kinds are left as they are. */
export function underApi(spec: FunctionSpec): FunctionSpec {
  return spec.kind === 'http' ? { ...spec, route: `${API_ROUTE_PREFIX}/${spec.route.replace(/^\/+/, '')}` } : spec;
}

export function functionTable(getApp: GetApp): FunctionSpec[] {
  const functions: FunctionSpec[] = [
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
    catalogFunction(getApp),
  ];
  // The portal's catch-all comes last: the host prefers every more specific route anyway.
  return [...functions.map(underApi), portalFunction()];
}
