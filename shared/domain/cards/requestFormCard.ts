/**
 * The request form on a Teams card: where (a governed scope, or a resource inside it), which
 * role, for how long and why, submitted with Action.Execute (verb `createRequest`) and decided by
 * the same createRequest use case as the API. After a refusal the form comes back with what was
 * typed and the reason on top. Pure: built from the requestable catalog.
 */
import type { CatalogEntry } from '../policy/catalog';
import { formatDuration, parseDuration } from '../policy/duration';
import { scopeLabel, MAX_TEXT_LENGTH } from '../requests/rules';
import { card, container, execute, text, type AdaptiveCardJson, type CardElement } from './adaptiveCard';
import { CARD_VERBS, type CardNotice } from './approvalCard';
import { humanDuration } from './cardFormat';

/** Ids of the form's inputs: Teams merges their values into the action's data under these names. */
export const REQUEST_FORM_INPUTS = { scope: 'scope', resource: 'resource', role: 'role', duration: 'duration', justification: 'justification' } as const;

export interface RequestFormValues {
  scope?: string;
  resource?: string;
  role?: string;
  duration?: string;
  justification?: string;
}

const LADDER_MINUTES = [30, 60, 120, 240, 480, 1440];

/** Usual durations up to the longest any policy allows, shortest first. */
export function formDurations(catalog: readonly CatalogEntry[]): string[] {
  const longest = Math.max(0, ...catalog.flatMap((e) => [...e.roles.map((r) => r.maxDurationMs), e.exception?.maxDurationMs ?? 0]));
  const ms = LADDER_MINUTES.map((m) => m * 60_000).filter((d) => d <= longest);
  if (longest > 0 && !ms.includes(longest)) ms.push(longest);
  return ms.map(formatDuration);
}

function choiceSet(id: string, label: string, choices: Array<{ title: string; value: string }>, value: string | undefined, errorMessage: string): CardElement {
  return {
    type: 'Input.ChoiceSet',
    id,
    label,
    style: 'compact',
    isRequired: true,
    errorMessage,
    choices,
    ...(value !== undefined && choices.some((c) => c.value === value) ? { value } : choices[0] ? { value: choices[0].value } : {}),
  };
}

function textInput(id: string, label: string, placeholder: string, value: string | undefined, multiline: boolean): CardElement {
  return { type: 'Input.Text', id, label, placeholder, isMultiline: multiline, maxLength: multiline ? MAX_TEXT_LENGTH : 1000, ...(value ? { value } : {}) };
}

export function renderRequestFormCard(input: { catalog: readonly CatalogEntry[]; values?: RequestFormValues; notice?: CardNotice }): AdaptiveCardJson {
  const { catalog, values = {} } = input;
  const roles = [...new Set(catalog.flatMap((e) => e.roles.map((r) => r.roleName)))].sort();
  const body: CardElement[] = [];
  if (input.notice) body.push(container([text(input.notice.text, { weight: 'bolder', color: input.notice.tone })], input.notice.tone));
  body.push(text('Request access', { size: 'large', weight: 'bolder' }));
  body.push(text('Ask for the narrowest role you need, for as short a time as will do. The policy of the scope decides who approves.', { subtle: true }));
  body.push(
    choiceSet(
      REQUEST_FORM_INPUTS.scope,
      'Where',
      catalog.map((e) => ({ title: `${scopeLabel(e.scope)} (${e.policyId})`, value: e.scope })),
      values.scope,
      'Choose where you need access.',
    ),
    textInput(REQUEST_FORM_INPUTS.resource, 'A resource inside it (optional)', '/subscriptions/.../providers/Microsoft.Storage/storageAccounts/<name>', values.resource, false),
    choiceSet(
      REQUEST_FORM_INPUTS.role,
      'Role',
      roles.map((r) => ({ title: r, value: r })),
      values.role,
      'Choose a role.',
    ),
    choiceSet(
      REQUEST_FORM_INPUTS.duration,
      'For how long (from the grant)',
      formDurations(catalog).map((d) => ({ title: humanDuration(parseDuration(d)), value: d })),
      values.duration,
      'Choose how long.',
    ),
    textInput(REQUEST_FORM_INPUTS.justification, 'Justification', 'What you will do with this access; approvers read it.', values.justification, true),
  );
  return card(body, [execute(CARD_VERBS.createRequest, 'Request access', {}, 'positive')]);
}
