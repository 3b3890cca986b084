/**
 * `GET /api/health`: anonymous; `status` is `ok` or `degraded` with the problems. Always 200 when
 * the app answers at all: degraded enforcement (a lost permission, a tripped breaker, an outage of
 * Azure or the store) is not this instance's fault, and a 5xx would make App Service's health
 * check replace healthy instances. Monitor `status`, not the HTTP status.
 */
import { checkHealth } from '../../shared/usecases/health';
import { errorResponse, json } from './respond';
import type { HttpFunction } from '../types';
import type { GetApp } from './api';

export function healthFunction(getApp: GetApp): HttpFunction {
  return {
    kind: 'http',
    name: 'health',
    route: 'health',
    methods: ['GET'],
    handler: async (_req, context) => {
      try {
        const report = await checkHealth((await getApp()).deps);
        return json(200, report);
      } catch (err) {
        return errorResponse(err, context);
      }
    },
  };
}
