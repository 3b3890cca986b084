/** `GET /api/health`: anonymous, reports mode and reachability; 503 when a dependency is down. */
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
        return json(report.status === 'ok' ? 200 : 503, report);
      } catch (err) {
        return errorResponse(err, context);
      }
    },
  };
}
