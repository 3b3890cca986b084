/** The admin's live access view (API.md `listAccess`): who holds which role where right now, and what justifies it. */
import { z } from 'zod';
import { listAccess } from '../../shared/usecases/listAccess';
import type { HttpFunction } from '../types';
import { api, json, readQuery, type GetApp } from './api';

const accessQuery = z.strictObject({
  scope: z
    .string()
    .trim()
    .max(1000, 'scope must be at most 1000 characters')
    .refine((s) => s === '' || s.startsWith('/'), 'scope must be an ARM scope starting with /, e.g. /subscriptions/<id>/resourceGroups/<name>')
    .optional(),
});

export function accessFunctions(getApp: GetApp): HttpFunction[] {
  return [
    {
      kind: 'http',
      name: 'listAccess',
      route: 'access',
      methods: ['GET'],
      handler: api(
        getApp,
        async (req, deps) => {
          const { scope } = readQuery(req, accessQuery);
          return json(200, { items: await listAccess(deps, { scope }) });
        },
        { adminOnly: true },
      ),
    },
  ];
}
