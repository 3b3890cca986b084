/** The event guards: which text is safe, and which date-times count as RFC 3339 (Event Grid's and Key Vault's forms). */
import { isRfc3339, isSafeText, toIsoMillis } from '../../shared/domain/events/guards';

test.each([
  ['plain', true],
  ['emoji \u{1F600} and accents é', true],
  ['tab\t', false],
  ['del\u007f', false],
  ['c1\u0085', false],
  ['rtl\u200f', false],
  ['isolate\u2066', false],
  ['line\u2028sep', false],
  ['lone \ud800 surrogate', false],
  ['lone \udc00 low', false],
])('isSafeText(%j) = %s', (value, ok) => {
  expect(isSafeText(value)).toBe(ok);
});

describe('RFC 3339 date-times', () => {
  test.each([
    ['2026-11-20T10:02:03.1234567Z', '2026-11-20T10:02:03.123Z'], // Event Grid: seven fraction digits
    ['2026-11-20T10:05:00Z', '2026-11-20T10:05:00.000Z'], // Key Vault NBF/EXP as a string
    ['2026-11-20T10:05:00+02:00', '2026-11-20T08:05:00.000Z'],
    ['2026-11-20T10:05:00.123456789-05:30', '2026-11-20T15:35:00.123Z'],
    ['2028-02-29T00:00:00Z', '2028-02-29T00:00:00.000Z'],
  ])('%s is accepted, as %s in milliseconds', (value, iso) => {
    expect(isRfc3339(value)).toBe(true);
    expect(toIsoMillis(value)).toBe(iso);
  });

  test.each([
    'yesterday',
    '20 Nov 2026',
    '2026-11-20',
    '2026-11-20T10:05:00', // no time zone
    '2026-11-20T10:05Z', // no seconds
    '2026-11-20T10:05:00+0200',
    '2026-02-30T00:00:00Z', // Date.parse would roll this over to March 2
    '2026-11-20T24:00:00Z',
    '1795600000',
  ])('%s is refused', (value) => {
    expect(isRfc3339(value)).toBe(false);
  });

  test('an absent time stays absent', () => {
    expect(toIsoMillis(undefined)).toBeUndefined();
  });
});
