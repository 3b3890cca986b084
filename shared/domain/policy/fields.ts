/** Field schemas that every part of a policy file writes the same way: object ids, durations, who decides. */
import { z } from 'zod';
import { isGuid } from '../armIds';
import { checkDuration } from './duration';

export const objectId = z
  .string()
  .trim()
  .refine(isGuid, 'must be an Entra object id (a GUID)')
  .transform((id) => id.toLowerCase());

/** A positive ISO 8601 duration, decoded to milliseconds. */
export const duration = z.string().transform((text, ctx) => {
  const checked = checkDuration(text);
  if (!checked.ok) {
    ctx.addIssue({ code: 'custom', message: checked.reason });
    return z.NEVER;
  }
  if (checked.ms <= 0) {
    ctx.addIssue({ code: 'custom', message: `"${text}" is zero: a duration must be longer than that` });
    return z.NEVER;
  }
  return checked.ms;
});

const dedupe = (ids: string[]): string[] => [...new Set(ids)];

/** Groups and users, by object id, each listed once. */
export const people = z.strictObject({
  groups: z.array(objectId).default([]).transform(dedupe),
  users: z.array(objectId).default([]).transform(dedupe),
});

/** People who decide: at least one group or user. */
export const approversSchema = people.refine((a) => a.groups.length + a.users.length > 0, 'name at least one approver group or user (object ids)');
