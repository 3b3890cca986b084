/** HTTP function of role suggestions (docs/api.md, "Suggestions"): decode, call the use case, encode. */
import { z } from 'zod';
import { MAX_NEED_LENGTH } from '../../shared/domain/suggestions/advice';
import { suggestRoles } from '../../shared/usecases/suggestions';
import type { HttpFunction } from '../types';
import { api, json, type GetApp } from './api';
import { readJsonBody } from './respond';

const operationNames = (field: string) =>
  z
    .array(z.string({ error: `${field} must be a list of operation names` }).trim().min(1, `${field} must not hold empty names`).max(300, `each of ${field} is at most 300 characters`), {
      error: `${field} must be a list of operation names`,
    })
    .max(50, `${field} holds at most 50 operations`)
    .optional();

export const suggestionBody = z.strictObject({
  scope: z.string({ error: 'scope must be a string' }).max(1000, 'scope must be at most 1000 characters').min(1, 'scope is required: an ARM scope such as /subscriptions/<id>/resourceGroups/<name>'),
  actions: operationNames('actions'),
  dataActions: operationNames('dataActions'),
  need: z.string({ error: 'need must be a string' }).max(MAX_NEED_LENGTH, `need must be at most ${MAX_NEED_LENGTH} characters`).optional(),
});

export function suggestionFunction(getApp: GetApp): HttpFunction {
  return {
    kind: 'http',
    name: 'suggestRoles',
    route: 'suggestions',
    methods: ['POST'],
    handler: api(getApp, async (req, deps, caller) => json(200, await suggestRoles(deps, caller, await readJsonBody(req, suggestionBody)))),
  };
}
