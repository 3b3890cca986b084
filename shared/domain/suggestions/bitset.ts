/** Fixed-size bit sets over the known operations: the catalog's "which operations does this grant" in a few words of memory. */

export type BitSet = Uint32Array;

export function emptySet(size: number): BitSet {
  return new Uint32Array(Math.ceil(size / 32));
}

export function setBit(set: BitSet, index: number): void {
  set[index >>> 5]! |= 1 << (index & 31);
}

export function hasBit(set: BitSet, index: number): boolean {
  return (set[index >>> 5]! & (1 << (index & 31))) !== 0;
}

/** a |= b */
export function orInto(a: BitSet, b: BitSet): void {
  for (let i = 0; i < a.length; i++) a[i]! |= b[i]!;
}

/** a &= ~b */
export function andNotInto(a: BitSet, b: BitSet): void {
  for (let i = 0; i < a.length; i++) a[i]! &= ~b[i]!;
}

function popcount(x: number): number {
  let v = x - ((x >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (((v + (v >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

/** |a ∧ b ∧ c ∧ ¬d| without building the intermediate sets. */
export function countAndAndNot(a: BitSet, b: BitSet, c: BitSet, d: BitSet): number {
  let n = 0;
  for (let i = 0; i < a.length; i++) n += popcount(a[i]! & b[i]! & c[i]! & ~d[i]!);
  return n;
}

/** True when a ∧ b has any bit. */
export function intersects(a: BitSet, b: BitSet): boolean {
  for (let i = 0; i < a.length; i++) if ((a[i]! & b[i]!) !== 0) return true;
  return false;
}
