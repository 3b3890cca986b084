/**
 * The small subset of Adaptive Cards (schema 1.4, the first with `Action.Execute`) that
 * AccessManager's cards are built from, as plain JSON builders. Every card is checked against
 * the `adaptivecards` parser in test/teams/cards.test.ts.
 */

export const ADAPTIVE_CARD_CONTENT_TYPE = 'application/vnd.microsoft.card.adaptive';
export const ADAPTIVE_CARD_SCHEMA = 'http://adaptivecards.io/schemas/adaptive-card.json';
/** Universal Actions (Action.Execute, refresh) need 1.4; Teams renders up to 1.5. */
export const ADAPTIVE_CARD_VERSION = '1.4';
/** Teams refreshes a card automatically for at most 60 listed users. */
export const MAX_REFRESH_USERS = 60;

export type CardElement = Record<string, unknown> & { type: string };
export type TextColor = 'default' | 'good' | 'attention' | 'warning' | 'accent';

export interface ExecuteAction extends CardElement {
  type: 'Action.Execute';
  verb: string;
  title: string;
  data: Record<string, string>;
}

export interface AdaptiveCardJson {
  type: 'AdaptiveCard';
  $schema: string;
  version: string;
  body: CardElement[];
  actions?: CardElement[];
  refresh?: { action: ExecuteAction; userIds: string[] };
}

export interface Fact {
  title: string;
  value: string;
}

export function card(body: CardElement[], actions: CardElement[] = [], refresh?: AdaptiveCardJson['refresh']): AdaptiveCardJson {
  return {
    type: 'AdaptiveCard',
    $schema: ADAPTIVE_CARD_SCHEMA,
    version: ADAPTIVE_CARD_VERSION,
    body,
    ...(actions.length > 0 ? { actions } : {}),
    ...(refresh ? { refresh } : {}),
  };
}

export function text(value: string, options: { size?: 'small' | 'medium' | 'large'; weight?: 'bolder'; color?: TextColor; subtle?: boolean; spacing?: 'none' | 'small' | 'medium' } = {}): CardElement {
  return {
    type: 'TextBlock',
    text: value,
    wrap: true,
    ...(options.size ? { size: options.size } : {}),
    ...(options.weight ? { weight: options.weight } : {}),
    ...(options.color ? { color: options.color } : {}),
    ...(options.subtle ? { isSubtle: true } : {}),
    ...(options.spacing ? { spacing: options.spacing } : {}),
  };
}

export function facts(list: Fact[]): CardElement {
  return { type: 'FactSet', facts: list.map((f) => ({ title: f.title, value: f.value })) };
}

export function container(items: CardElement[], style?: 'good' | 'attention' | 'warning' | 'emphasis' | 'accent'): CardElement {
  return { type: 'Container', items, ...(style ? { style } : {}) };
}

export function textInput(id: string, label: string, placeholder: string, maxLength: number): CardElement {
  return { type: 'Input.Text', id, label, placeholder, isMultiline: true, maxLength };
}

export function choiceInput(id: string, label: string, choices: Fact[], value: string): CardElement {
  return { type: 'Input.ChoiceSet', id, label, style: 'compact', value, choices: choices.map((c) => ({ title: c.title, value: c.value })) };
}

export function execute(verb: string, title: string, data: Record<string, string>, style?: 'positive' | 'destructive'): ExecuteAction {
  return { type: 'Action.Execute', verb, title, data, ...(style ? { style } : {}) };
}

export function openUrl(title: string, url: string): CardElement {
  return { type: 'Action.OpenUrl', title, url };
}

