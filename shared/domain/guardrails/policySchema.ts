/**
 * The `guardrails:` section of a policy file. Unknown properties, values a setting cannot take,
 * a required value that is not the locked-down one, and `remediate: auto` on a setting only a
 * human may change are refused by `policies:check`, with the path and the reason.
 */
import { z } from 'zod';
import { BLOB_EVENT_TYPES } from '../events/storageEvent';
import { formatDuration } from '../policy/duration';
import { approversSchema, duration, people } from '../policy/fields';
import { guardedProperty, guardedPropertyNames, type GuardedResourceKind } from './properties';
import type { GuardrailPolicy, GuardrailRule } from './types';

export const DEFAULT_FIGHT = { maxRemediations: 3, window: 'PT10M', holdOff: 'PT1H' } as const;

const ruleBody = z.strictObject({
  value: z.union([z.boolean(), z.string()]).optional(),
  remediate: z.enum(['auto', 'alert'], { error: 'must be auto (AccessManager changes it back when that is safe) or alert (a human decides)' }),
  urgent: z.boolean().default(false),
});

function rulesFor(kind: GuardedResourceKind) {
  return z.record(z.string(), ruleBody).transform((entries, ctx): GuardrailRule[] => {
    const rules: GuardrailRule[] = [];
    for (const [name, body] of Object.entries(entries)) {
      const property = guardedProperty(kind, name);
      if (!property) {
        ctx.addIssue({ code: 'custom', path: [name], message: `is not a setting guardrails can guard; known: ${guardedPropertyNames(kind).join(', ')}` });
        continue;
      }
      const value = body.value ?? property.secure[0]!;
      if (!property.secure.includes(value)) {
        ctx.addIssue({
          code: 'custom',
          path: [name, 'value'],
          message: `${JSON.stringify(value)} is not a locked-down value of ${name}; use ${property.secure.map((v) => JSON.stringify(v)).join(' or ')}`,
        });
        continue;
      }
      if (body.remediate === 'auto' && property.humanOnly) {
        ctx.addIssue({ code: 'custom', path: [name, 'remediate'], message: `must be alert: ${property.humanOnly}` });
        continue;
      }
      rules.push({ kind, property: name, value, remediate: body.remediate, urgent: body.urgent });
    }
    return rules;
  });
}

const BLOB_TYPES = new Map<string, string>(BLOB_EVENT_TYPES.flatMap((t) => [[t.toLowerCase(), t] as const, [t.replace(/^Microsoft\.Storage\./, '').toLowerCase(), t] as const]));

const blobEventType = z.string().transform((text, ctx) => {
  const found = BLOB_TYPES.get(text.trim().toLowerCase());
  if (!found) {
    ctx.addIssue({ code: 'custom', message: `"${text}" is not a blob event type; known: ${BLOB_EVENT_TYPES.map((t) => t.replace(/^Microsoft\.Storage\./, '')).join(', ')}` });
    return z.NEVER;
  }
  return found;
});

/** One policy's `guardrails:` section, as written in the YAML file. */
export const guardrailsSchema = z
  .strictObject({
    mode: z.enum(['enforce', 'audit']).optional(),
    storageAccounts: rulesFor('storageAccount').optional(),
    keyVaults: rulesFor('keyVault').optional(),
    secrets: z.strictObject({ maxAge: duration, owners: people.prefault({}) }).optional(),
    exceptions: z
      .strictObject({
        approvals: z.number().int('must be a whole number').min(1, 'must be at least 1: every exception needs an approval'),
        approvers: approversSchema,
        maxDuration: duration,
      })
      .superRefine((e, ctx) => {
        if (e.approvers.groups.length === 0 && e.approvals > e.approvers.users.length) {
          ctx.addIssue({ code: 'custom', path: ['approvals'], message: `${e.approvals} distinct approvals can never be reached: only ${e.approvers.users.length} user(s) and no group may approve` });
        }
      })
      .optional(),
    fight: z
      .strictObject({
        maxRemediations: z.number().int('must be a whole number').min(1, 'must be at least 1').default(DEFAULT_FIGHT.maxRemediations),
        window: duration.prefault(DEFAULT_FIGHT.window),
        holdOff: duration.prefault(DEFAULT_FIGHT.holdOff),
      })
      .prefault({}),
    watch: z.strictObject({ blobEvents: z.array(blobEventType).default([]) }).prefault({}),
  })
  .transform(
    (g): GuardrailPolicy => ({
      ...(g.mode ? { mode: g.mode } : {}),
      ...(g.storageAccounts ? { storageAccounts: g.storageAccounts } : {}),
      ...(g.keyVaults ? { keyVaults: g.keyVaults } : {}),
      ...(g.secrets ? { secrets: { maxAge: formatDuration(g.secrets.maxAge), maxAgeMs: g.secrets.maxAge, owners: g.secrets.owners } } : {}),
      ...(g.exceptions
        ? { exceptions: { approvals: g.exceptions.approvals, approvers: g.exceptions.approvers, maxDuration: formatDuration(g.exceptions.maxDuration), maxDurationMs: g.exceptions.maxDuration } }
        : {}),
      fight: {
        maxRemediations: g.fight.maxRemediations,
        window: formatDuration(g.fight.window),
        windowMs: g.fight.window,
        holdOff: formatDuration(g.fight.holdOff),
        holdOffMs: g.fight.holdOff,
      },
      watchBlobEvents: [...new Set(g.watch.blobEvents)],
    }),
  );
