/** The CLI's printers: RFC 4180 quoting, aligned tables that no value can break, and the command-line client's URL handling. */
import { normalizeBaseUrl } from '../../cli/client';
import { findLocalUser } from '../../dev/localUsers';
import { csvField, toCsv, toRecordLines, toTable, type Column } from '../../cli/output';
import { PEOPLE } from '../../dev/tenant';

describe('csvField (RFC 4180)', () => {
  test.each([
    ['plain', 'plain'],
    ['', ''],
    [undefined, ''],
    [null, ''],
    [42, '42'],
    [true, 'true'],
    ['a,b', '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ['"', '""""'],
    ['line1\nline2', '"line1\nline2"'],
    ['cr\rhere', '"cr\rhere"'],
    ['crlf\r\n', '"crlf\r\n"'],
    [' leading and trailing spaces ', ' leading and trailing spaces '],
    ['/subscriptions/x/resourceGroups/rg-weights', '/subscriptions/x/resourceGroups/rg-weights'],
  ])('%j -> %j', (value, expected) => {
    expect(csvField(value)).toBe(expected);
  });
});

interface Row {
  name: string;
  note?: string;
}
const columns: Column<Row>[] = [
  { header: 'name', value: (r) => r.name },
  { header: 'note', value: (r) => r.note, maxWidth: 10 },
];

describe('toCsv', () => {
  test('a header, CRLF line ends, one line per row, whole values even when a table would cut them', () => {
    expect(toCsv([{ name: 'a,1', note: 'a very long note that a table would cut' }, { name: 'b' }], columns)).toBe('name,note\r\n"a,1",a very long note that a table would cut\r\nb,\r\n');
  });

  test('no rows: only the header', () => {
    expect(toCsv([], columns)).toBe('name,note\r\n');
  });
});

describe('toTable', () => {
  test('aligns columns, cuts long cells with an ellipsis, flattens control characters, no trailing spaces', () => {
    const text = toTable([{ name: 'alice', note: 'short' }, { name: 'b', note: 'line1\nline2\u001b[31m and more' }, { name: 'carol' }], columns);
    expect(text.split('\n')).toEqual(['name   note', 'alice  short', 'b      line1 lin…', 'carol', '']);
  });

  test('record lines skip empty fields and align the values', () => {
    expect(toRecordLines([['Request', 'r1'], ['Grant', undefined], ['Status', 'approved']])).toBe('Request: r1\nStatus:  approved\n');
  });
});

describe('normalizeBaseUrl', () => {
  test.each([
    ['http://localhost:7071', 'http://localhost:7071'],
    ['http://localhost:7071/', 'http://localhost:7071'],
    ['http://localhost:7071/api', 'http://localhost:7071'],
    ['https://am.example.net/api/', 'https://am.example.net'],
    ['https://am.example.net/prefix/', 'https://am.example.net/prefix'],
  ])('%s -> %s', (raw, expected) => {
    expect(normalizeBaseUrl(raw)).toBe(expected);
  });

  test('refuses what is not an http(s) URL', () => {
    expect(() => normalizeBaseUrl('localhost:7071')).toThrow(/http/);
    expect(() => normalizeBaseUrl('ftp://host')).toThrow(/http/);
    expect(() => normalizeBaseUrl('not a url')).toThrow(/--url/);
  });
});

describe('findLocalUser', () => {
  test('by login, UPN or object id, any case; erin is the admin', () => {
    expect(findLocalUser('Bob')?.id).toBe(PEOPLE.bob);
    expect(findLocalUser('carol@contoso.test')?.id).toBe(PEOPLE.carol);
    expect(findLocalUser(PEOPLE.dave.toUpperCase())?.login).toBe('dave');
    expect(findLocalUser('erin')?.roles).toEqual(['AccessManager.Admin']);
    expect(findLocalUser('alice')?.roles).toEqual([]);
    expect(findLocalUser('zed')).toBeUndefined();
  });
});
