/** `GET /api/catalog` (anyone signed in): what can be requested where, and on what terms (the request form's choices). */
import { requestableCatalog } from '../../shared/domain/policy';
import type { HttpFunction } from '../types';
import { api, json, type GetApp } from './api';

export function catalogFunction(getApp: GetApp): HttpFunction {
  return {
    kind: 'http',
    name: 'catalog',
    route: 'catalog',
    methods: ['GET'],
    handler: api(getApp, async (_req, deps) => json(200, { items: requestableCatalog(deps.policies.policies) })),
  };
}
