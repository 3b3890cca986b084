/** The coverage rules an ending grant relies on: coverageAfterEnd, otherLiveEntries, withoutExpiredEntries (one row per rule). */
import { coverageAfterEnd, liveEntries, otherLiveEntries, withoutExpiredEntries, type Coverage, type CoverageEntry } from '../../shared/domain/grants/grant';

const NOW = new Date('2026-11-20T12:00:00Z');
const HOUR = 3_600_000;
const at = (offsetMs: number): string => new Date(NOW.getTime() + offsetMs).toISOString();
const coverage = (...entries: CoverageEntry[]): Coverage => ({ id: 'c', type: 'coverage', principalId: 'p', roleDefinitionGuid: 'r', scope: '/s', assignmentId: '/s/a', entries });

describe('coverageAfterEnd', () => {
  const rows: Array<{ name: string; before: Coverage; keeps: boolean; after: string[] }> = [
    { name: 'an expired entry stays (it counts as absent already): no write', before: coverage({ grantId: 'g', expiresAt: at(-HOUR) }), keeps: true, after: ['g'] },
    { name: 'an entry expiring exactly now counts as expired', before: coverage({ grantId: 'g', expiresAt: at(0) }), keeps: true, after: ['g'] },
    { name: 'a live entry goes (early revoke, external end)', before: coverage({ grantId: 'g', expiresAt: at(HOUR) }), keeps: false, after: [] },
    { name: 'a live entry extended by a renewal goes when the grant ends', before: coverage({ grantId: 'g', expiresAt: at(HOUR) }, { grantId: 'h', expiresAt: at(2 * HOUR) }), keeps: false, after: ['h'] },
    { name: 'an unreadable expiry goes (fail safe)', before: coverage({ grantId: 'g', expiresAt: 'not a date' }), keeps: false, after: [] },
    { name: 'no entry: nothing to write', before: coverage({ grantId: 'h', expiresAt: at(HOUR) }), keeps: true, after: ['h'] },
  ];
  test.each(rows)('$name', ({ before, keeps, after }) => {
    const result = coverageAfterEnd(before, 'g', NOW);
    expect(result === before).toBe(keeps);
    expect(result.entries.map((e) => e.grantId)).toEqual(after);
  });

  test('whatever it leaves of the ended grant is never live for the enforcer', () => {
    for (const expiresAt of [at(-HOUR), at(0), at(HOUR), 'not a date']) {
      const after = coverageAfterEnd(coverage({ grantId: 'g', expiresAt }), 'g', NOW);
      expect(liveEntries(after, NOW).some((e) => e.grantId === 'g')).toBe(false);
    }
  });
});

describe('otherLiveEntries', () => {
  const rows: Array<{ name: string; before: Coverage | undefined; others: string[] }> = [
    { name: 'no document: none', before: undefined, others: [] },
    { name: 'the ending grant itself does not count, even while its entry is live', before: coverage({ grantId: 'g', expiresAt: at(HOUR) }), others: [] },
    { name: 'another live grant keeps the assignment', before: coverage({ grantId: 'g', expiresAt: at(-HOUR) }, { grantId: 'h', expiresAt: at(HOUR) }), others: ['h'] },
    { name: 'another expired grant does not', before: coverage({ grantId: 'g', expiresAt: at(-HOUR) }, { grantId: 'h', expiresAt: at(-1) }), others: [] },
  ];
  test.each(rows)('$name', ({ before, others }) => {
    expect(otherLiveEntries(before, 'g', NOW).map((e) => e.grantId)).toEqual(others);
  });
});

describe('withoutExpiredEntries', () => {
  test('prunes expired entries and keeps live ones', () => {
    const before = coverage({ grantId: 'g', expiresAt: at(-HOUR) }, { grantId: 'h', expiresAt: at(HOUR) });
    expect(withoutExpiredEntries(before, NOW).entries.map((e) => e.grantId)).toEqual(['h']);
  });
  test('returns the same object when nothing expired (no write)', () => {
    const before = coverage({ grantId: 'h', expiresAt: at(HOUR) });
    expect(withoutExpiredEntries(before, NOW)).toBe(before);
  });
});
