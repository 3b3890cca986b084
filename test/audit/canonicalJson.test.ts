/** canonicalJson: one spelling per value, whatever the key order; unicode kept as is. */
import { canonicalJson, sha256Hex } from '../../shared/domain/audit/canonicalJson';

describe('canonicalJson', () => {
  test.each<[string, unknown, string]>([
    ['null', null, 'null'],
    ['booleans', [true, false], '[true,false]'],
    ['integers and fractions', [0, -0, 1, -12, 1.5, 1e21, 1e-7], '[0,0,1,-12,1.5,1e+21,1e-7]'],
    ['a plain string', 'abc', '"abc"'],
    ['escapes', 'a"b\\c\n\t\u0001', '"a\\"b\\\\c\\n\\t\\u0001"'],
    ['keys sorted', { b: 1, a: 2, c: 3 }, '{"a":2,"b":1,"c":3}'],
    ['keys sorted recursively, arrays keep order', { z: [{ y: 1, x: 2 }, 3], a: { d: 1, c: { f: 1, e: 2 } } }, '{"a":{"c":{"e":2,"f":1},"d":1},"z":[{"x":2,"y":1},3]}'],
    ['undefined members dropped', { a: undefined, b: 1, c: { d: undefined } }, '{"b":1,"c":{}}'],
    ['undefined array elements become null (as after a JSON round-trip)', [1, undefined, 2], '[1,null,2]'],
    ['upper-case keys sort before lower-case (code-unit order)', { b: 1, B: 2, a: 3, A: 4 }, '{"A":4,"B":2,"a":3,"b":1}'],
    ['non-ASCII kept raw', { name: 'Zoë 山田 🚀' }, '{"name":"Zoë 山田 🚀"}'],
    ['non-ASCII keys sort by UTF-16 code unit (a surrogate pair before U+FF5A)', { é: 1, e: 2, z: 3, '😀': 4, 'ｚ': 5 }, '{"e":2,"z":3,"é":1,"😀":4,"ｚ":5}'],
    ['empty containers', { a: [], b: {} }, '{"a":[],"b":{}}'],
    ['null prototype objects are plain', Object.assign(Object.create(null) as object, { b: 1, a: 2 }), '{"a":2,"b":1}'],
  ])('%s', (_name, value, expected) => {
    expect(canonicalJson(value)).toBe(expected);
  });

  test('key order of the input does not change the output', () => {
    const a = { actor: { name: 'x', id: '1' }, action: 'grant.created', details: { n: 1, m: [1, 2] } };
    const b = { details: { m: [1, 2], n: 1 }, action: 'grant.created', actor: { id: '1', name: 'x' } };
    expect(canonicalJson(a)).toBe(canonicalJson(b));
    expect(sha256Hex(canonicalJson(a))).toBe(sha256Hex(canonicalJson(b)));
  });

  test('NFC and NFD spellings are different content', () => {
    const nfc = 'Zo\u00eb';
    const nfd = 'Zoe\u0308';
    expect(canonicalJson(nfc)).not.toBe(canonicalJson(nfd));
  });

  test('survives a JSON round-trip unchanged', () => {
    const value = { z: 'Ω≈ç√∫', a: [1, { c: null, b: 'x' }], n: -3.25, t: true };
    expect(canonicalJson(JSON.parse(JSON.stringify(value)))).toBe(canonicalJson(value));
  });

  test.each<[string, unknown]>([
    ['NaN', { a: NaN }],
    ['Infinity', [Infinity]],
    ['bigint', { a: BigInt(1) }],
    ['function', { a: () => 1 }],
    ['symbol', { a: Symbol('x') }],
    ['Date', { a: new Date(0) }],
    ['Map', new Map()],
  ])('refuses %s', (_name, value) => {
    expect(() => canonicalJson(value)).toThrow(TypeError);
  });

  test('refuses cycles but accepts shared (non-cyclic) references', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic['self'] = cyclic;
    expect(() => canonicalJson(cyclic)).toThrow(/cycle/);
    const shared = { x: 1 };
    expect(canonicalJson({ a: shared, b: shared })).toBe('{"a":{"x":1},"b":{"x":1}}');
  });

  test('sha256Hex hashes UTF-8 bytes', () => {
    expect(sha256Hex('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(sha256Hex('\u00e9')).toBe('4a99557e4033c3539de2eb65472017cad5f9557f7a0625a09f1c3f6e2ba69c4c');
  });
});
