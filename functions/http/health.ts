/**
 * `GET /api/health`: anonymous; `status` is `ok` or `degraded` with the problems. Always 200 when
 * the app answers at all: degraded enforcement (a lost permission, a tripped breaker, an outage of
 * Azure or the store) is not this instance's fault, and a 5xx would make App Service's health
 * check replace healthy instances. Monitor `status`, not the HTTP status. Signed-in admins get the
 * details (which scopes, which policies); anyone else the codes and counts (`forAnyone`).
 */
import { checkHealth, forAnyone } from '../../shared/usecases/health';
import { callerFromRequest } from '../../shared/domain/caller';
import { errorResponse, json } from './respond';
import type { HttpFunction } from '../types';
import type { GetApp } from './api';

export function healthFunction(getApp: GetApp): HttpFunction {
  return {
    kind: 'http',
    name: 'health',
    route: 'health',
    methods: ['GET'],
    handler: async (req, context) => {
      try {
        const { deps } = await getApp();
        const report = await checkHealth(deps);
        // Deployed, the identity headers count only behind App Service authentication (as in ./api.ts).
        const trusted = deps.config.ACCESSMANAGER_ENV === 'local' || deps.config.WEBSITE_AUTH_ENABLED;
        const admin = trusted && callerFromRequest(req)?.isAdmin === true;
        return json(200, admin ? report : forAnyone(report));
      } catch (err) {
        return errorResponse(err, context);
      }
    },
  };
}
