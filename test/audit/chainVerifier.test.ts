/** The pure chain check, over chains held in memory: each kind of tampering is named at its first bad record. */
import { verifyChainRecords, type SourcedAnchor } from '../../shared/domain/audit/chainVerifier';
import { GENESIS_PREV_HASH, hashOf, parseAuditEntry, recordId, sealRecord, type AuditRecord } from '../../shared/domain/audit/record';
import { ValidationError } from '../../shared/domain/errors';

const CHAIN = 'test-0badc0de';
const T0 = Date.parse('2025-03-01T10:00:00.000Z');

function buildChain(length: number, chainId = CHAIN): AuditRecord[] {
  const records: AuditRecord[] = [];
  let prevHash = GENESIS_PREV_HASH;
  for (let seq = 0; seq < length; seq += 1) {
    const entry = parseAuditEntry(
      seq === 0
        ? { action: 'chain.opened', actor: { name: 'AccessManager' } }
        : { action: 'grant.created', actor: { id: 'u1', name: 'Alice' }, principalId: `p${seq % 3}`, scope: '/subscriptions/S/resourceGroups/RG-Weights', grantId: `g${seq}`, details: { n: seq } },
    );
    const record = sealRecord({ ...entry, at: new Date(T0 + seq * 1000).toISOString() }, { chainId, seq, prevHash });
    records.push(record);
    prevHash = record.hash;
  }
  return records;
}

const asDocs = (records: AuditRecord[]) => records.map((r) => ({ ...r, _rid: 'x', _etag: '"y"', _ts: 1 }) as Record<string, unknown>);
const anchorAt = (records: AuditRecord[], seq: number, closed = false): SourcedAnchor => ({
  sink: 'test-sink',
  anchor: { chainId: CHAIN, seq, hash: records[seq]!.hash, at: '2025-03-01T11:00:00.000Z', ...(closed ? { closed: true } : {}) },
});

describe('sealRecord', () => {
  test('fills chain fields, scopeKey and a hash over the content', () => {
    const [genesis, first] = buildChain(2);
    expect(genesis!.id).toBe(`${CHAIN}:0000000000`);
    expect(genesis!.prevHash).toBe(GENESIS_PREV_HASH);
    expect(first).toMatchObject({ id: `${CHAIN}:0000000001`, seq: 1, chainId: CHAIN, prevHash: genesis!.hash, scopeKey: '/subscriptions/s/resourcegroups/rg-weights' });
    expect(first!.hash).toBe(hashOf(first!));
    expect(first!.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  test('system properties do not count, any other field does', () => {
    const [, record] = buildChain(2);
    expect(hashOf({ ...record!, _etag: 'other', _ts: 99 })).toBe(record!.hash);
    expect(hashOf({ ...record!, extra: 1 })).not.toBe(record!.hash);
  });

  test('bad entries are refused with the field named', () => {
    expect(() => parseAuditEntry({ action: 'grant.created', actor: {}, scope: 'no-slash' })).toThrow(/scope: must be an ARM scope/);
    expect(() => parseAuditEntry({ action: 'grant.exploded', actor: {} })).toThrow(ValidationError);
    expect(() => parseAuditEntry({ action: 'grant.created', actor: {}, at: 'yesterday' })).toThrow(/at: must be an ISO 8601/);
    expect(() => parseAuditEntry({ action: 'grant.created', actor: {}, details: { big: 'x'.repeat(5000) } })).toThrow(/details: must be at most 4096 bytes/);
    expect(() => parseAuditEntry({ action: 'grant.created', actor: {}, nope: 1 })).toThrow(/Unrecognized key/);
    expect(parseAuditEntry({ action: 'grant.created', actor: {}, at: '2025-03-01T12:00:00+02:00' }).at).toBe('2025-03-01T10:00:00.000Z');
  });
});

describe('verifyChainRecords', () => {
  test('an untouched chain verifies, in any input order', () => {
    const chain = buildChain(20);
    const shuffled = [...asDocs(chain)].reverse();
    expect(verifyChainRecords(CHAIN, shuffled, [anchorAt(chain, 10)])).toEqual({ ok: true, checked: 20 });
  });

  test('an edited field is named at the edited record', () => {
    const docs = asDocs(buildChain(10));
    docs[4] = { ...docs[4]!, principalId: 'mallory' };
    expect(verifyChainRecords(CHAIN, docs)).toMatchObject({ ok: false, checked: 4, firstBadId: recordId(CHAIN, 4), problem: expect.stringMatching(/changed after it was written/) });
  });

  test('an edit with a recomputed hash breaks the next link', () => {
    const docs = asDocs(buildChain(10));
    const edited: Record<string, unknown> = { ...docs[4]!, reason: 'forged' };
    edited['hash'] = hashOf(edited);
    docs[4] = edited;
    expect(verifyChainRecords(CHAIN, docs)).toMatchObject({ ok: false, firstBadId: recordId(CHAIN, 5), problem: expect.stringMatching(/does not link/) });
  });

  test('a deleted record is named by its missing id', () => {
    const docs = asDocs(buildChain(10)).filter((d) => d['seq'] !== 6);
    expect(verifyChainRecords(CHAIN, docs)).toMatchObject({ ok: false, checked: 6, firstBadId: recordId(CHAIN, 6), problem: expect.stringMatching(/missing/) });
  });

  test('swapped contents are named at the first of the two', () => {
    const docs = asDocs(buildChain(10));
    const a = docs[3]!;
    const b = docs[7]!;
    docs[3] = { ...b, id: a['id'] };
    docs[7] = { ...a, id: b['id'] };
    expect(verifyChainRecords(CHAIN, docs)).toMatchObject({ ok: false, firstBadId: recordId(CHAIN, 3), problem: expect.stringMatching(/moved or swapped/) });
  });

  test('a record with an id outside the chain numbering is named as inserted', () => {
    const docs = asDocs(buildChain(10));
    docs.push({ ...docs[5]!, id: `${recordId(CHAIN, 5)}b` });
    expect(verifyChainRecords(CHAIN, docs)).toMatchObject({ ok: false, firstBadId: `${recordId(CHAIN, 5)}b`, problem: expect.stringMatching(/inserted/) });
  });

  test('records cut off after an anchor are detected, naming the anchored id', () => {
    const chain = buildChain(10);
    const docs = asDocs(chain).slice(0, 7);
    expect(verifyChainRecords(CHAIN, docs, [anchorAt(chain, 8)])).toMatchObject({ ok: false, checked: 7, firstBadId: recordId(CHAIN, 8), problem: expect.stringMatching(/cut off/) });
  });

  test('a chain rewritten consistently up to the anchored record disagrees with the anchor', () => {
    const chain = buildChain(10);
    const anchor = anchorAt(chain, 8);
    const docs = asDocs(chain);
    let prevHash = docs[2]!['hash'];
    for (let i = 3; i < docs.length; i += 1) {
      const forged: Record<string, unknown> = { ...docs[i]!, prevHash, ...(i === 3 ? { reason: 'forged' } : {}) };
      forged['hash'] = hashOf(forged);
      docs[i] = forged;
      prevHash = forged['hash'];
    }
    expect(verifyChainRecords(CHAIN, docs, [anchor])).toMatchObject({ ok: false, firstBadId: recordId(CHAIN, 8), problem: expect.stringMatching(/differs from the head test-sink anchored/) });
  });

  test('a well-formed record appended after the chain was closed is forged', () => {
    const chain = buildChain(11);
    const closedAt9 = anchorAt(chain, 9, true);
    expect(verifyChainRecords(CHAIN, asDocs(chain.slice(0, 10)), [closedAt9]).ok).toBe(true);
    expect(verifyChainRecords(CHAIN, asDocs(chain), [closedAt9])).toMatchObject({ ok: false, firstBadId: recordId(CHAIN, 10), problem: expect.stringMatching(/closed/) });
  });

  test('an empty chain with an anchor was deleted; without one it was never written', () => {
    const chain = buildChain(3);
    expect(verifyChainRecords(CHAIN, [], [anchorAt(chain, 0)])).toMatchObject({ ok: false, checked: 0, firstBadId: recordId(CHAIN, 0), problem: expect.stringMatching(/whole chain was deleted/) });
    expect(verifyChainRecords(CHAIN, [])).toEqual({ ok: true, checked: 0 });
  });

  test('the genesis record must open the chain', () => {
    const docs = asDocs(buildChain(3));
    const fake: Record<string, unknown> = { ...docs[0]!, action: 'grant.created' };
    fake['hash'] = hashOf(fake);
    docs[0] = fake;
    expect(verifyChainRecords(CHAIN, docs)).toMatchObject({ ok: false, firstBadId: recordId(CHAIN, 0), problem: expect.stringMatching(/genesis/) });
  });
});
