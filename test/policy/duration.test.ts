import fc from 'fast-check';
import { checkDuration, formatDuration, MAX_DURATION_MS, parseDuration } from '../../shared/domain/policy/duration';

const H = 3_600_000;
const D = 24 * H;

describe('parseDuration', () => {
  test.each([
    ['PT8H', 8 * H],
    ['PT1M', 60_000],
    ['PT30S', 30_000],
    ['PT1.5S', 1_500],
    ['PT0,5H', H / 2],
    ['P1D', D],
    ['P1DT12H', 36 * H],
    ['P2DT3H4M5S', 2 * D + 3 * H + 4 * 60_000 + 5_000],
    ['P1W', 7 * D],
    ['pt8h', 8 * H],
    [' PT2H ', 2 * H],
    ['PT0S', 0],
  ])('%s -> %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  test.each([
    ['P1Y', /years or months/],
    ['P1M', /years or months/],
    ['P1Y2M3DT4H', /years or months/],
    ['PT', /not an ISO 8601 duration/],
    ['P', /not an ISO 8601 duration/],
    ['P1DT', /not an ISO 8601 duration/],
    ['8h', /not an ISO 8601 duration/],
    ['-PT1H', /not an ISO 8601 duration/],
    ['PT1H30', /not an ISO 8601 duration/],
    ['P1W2D', /not an ISO 8601 duration/],
    ['', /empty/],
    ['P3651D', /longer than the P3650D/],
  ])('%s is refused (%s)', (text, reason) => {
    const checked = checkDuration(text);
    expect(checked.ok).toBe(false);
    if (!checked.ok) expect(checked.reason).toMatch(reason);
    expect(() => parseDuration(text)).toThrow(RangeError);
  });
});

describe('formatDuration', () => {
  test.each([
    [8 * H, 'PT8H'],
    [D, 'P1D'],
    [36 * H, 'P1DT12H'],
    [90_000, 'PT1M30S'],
    [1_500, 'PT1.5S'],
    [0, 'PT0S'],
    [12 * H, 'PT12H'],
  ])('%d ms -> %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  test('refuses negative and non-finite values', () => {
    expect(() => formatDuration(-1)).toThrow(RangeError);
    expect(() => formatDuration(Number.NaN)).toThrow(RangeError);
  });

  test('round-trips every whole-millisecond duration up to the cap', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: MAX_DURATION_MS }), (ms) => {
        expect(parseDuration(formatDuration(ms))).toBe(ms);
      }),
    );
  });
});
