/**
 * Free text people type (justifications, reasons, comments) as the rest of the system shows it:
 * on Teams cards, in the portal and in the audit trail. Text that shows nothing, or that can make
 * a card read differently from what is stored (bidirectional overrides, control characters), is
 * refused at the boundary rather than cleaned: the ledger must hold what the person sent.
 */

/** C0 and C1 control characters other than tab, line feed and carriage return. */
// eslint-disable-next-line no-control-regex -- control characters are exactly what this finds
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/u;
/** Bidirectional embeddings, overrides, isolates and marks (the "Trojan Source" characters). */
const BIDI = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/u;
/** Characters that render as nothing: whitespace, format characters (zero-width, joiners, BOM), separators, and Hangul fillers. */
const INVISIBLE = /[\s\p{Cf}\p{Z}\u115f\u1160\u3164\uffa0\u2800]/gu;

/** Why `text` is not acceptable free text, or undefined. `what` names the field in the message. */
export function freeTextProblem(text: string, what: string): string | undefined {
  if (CONTROL.test(text)) return `${what} contains control characters: send plain text`;
  if (BIDI.test(text)) return `${what} contains bidirectional text controls, which can make it display differently from what it says: send plain text`;
  return undefined;
}

/** True when `text` shows at least one visible character. */
export function hasVisibleText(text: string): boolean {
  return text.replace(INVISIBLE, '').length > 0;
}
