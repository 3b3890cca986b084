/**
 * A ledger whose tail is protected (finding 4 of issue 10), end to end with the append-blob
 * anchor sink on Azurite: chain heads reach the blobs at most about a second behind, verify says
 * per chain how many records (and how many seconds) lie past the last anchor, a clean close
 * anchors everything, and rewriting records together with the Cosmos anchors, which the Cosmos
 * anchors alone cannot catch, is caught by the blob anchors.
 */
import { ContainerClient, StorageSharedKeyCredential } from '@azure/storage-blob';
import type { LocalStack } from '../../dev/localStack';
import { ANCHOR_CONTAINER } from '../../dev/localStack';
import { AZURITE_ACCOUNT } from '../../dev/azurite';
import { AuditLedger } from '../../shared/adapters/ledger/ledger';
import { BlobAnchorSink } from '../../shared/adapters/ledger/blobAnchorSink';
import { CosmosAnchorSink, anchorDocId } from '../../shared/adapters/ledger/cosmosAnchorSink';
import { verifyAuditLedger } from '../../shared/adapters/ledger/verifyLedger';
import { hashOf, recordId } from '../../shared/domain/audit/record';
import { PEOPLE, RG } from '../../dev/tenant';
import { assignOutOfBand, closeSimAgents, exists, ROLE, settle, startEnforcementStack, until } from './enforcementHelpers';

let stack: LocalStack;
let container: ContainerClient;

beforeAll(async () => {
  stack = await startEnforcementStack({ anchorBlobs: true });
  container = new ContainerClient(`${stack.azurite!.accountUrl}/${ANCHOR_CONTAINER}`, new StorageSharedKeyCredential(AZURITE_ACCOUNT, stack.azurite!.accountKey));
});

afterAll(async () => {
  await stack?.stop();
  await closeSimAgents();
});

/** A second writer on the same store and blob container, as another Functions instance would be. */
function ledger(tag: string, anchorIntervalMs: number): AuditLedger {
  return new AuditLedger({
    audit: stack.containers.audit,
    state: stack.containers.state,
    instanceTag: tag,
    shards: 1,
    anchorIntervalMs,
    anchorSinks: [new CosmosAnchorSink(stack.containers.state), new BlobAnchorSink(container)],
  });
}

describe('anchors in append blobs', () => {
  it('the app anchors its chains in both sinks, at most about a second behind', async () => {
    const rogue = await assignOutOfBand(stack, { scope: RG.weights, roleGuid: ROLE.blobReader, principalId: PEOPLE.mallory });
    await until(() => !exists(stack, rogue.id), 'the revocation');
    await settle(stack);
    const verified = await until(async () => {
      const v = await stack.deps.audit.verify();
      return v.ok && v.tail?.unanchoredRecords === 0 ? v : undefined;
    }, 'every record to be anchored', 5000, 100);
    expect(verified.tail?.sinks).toEqual(['cosmos:state', `blob:${ANCHOR_CONTAINER}`]);
    const blobs: string[] = [];
    for await (const b of container.listBlobsFlat()) blobs.push(b.name);
    expect(blobs.length).toBeGreaterThan(0);
    for (const name of blobs) expect(name).toMatch(/^local-[0-9a-f]{8}\/\d{10}\.jsonl$/);
  });

  it('verify reports per chain how many records and seconds lie past the last anchor; a clean close anchors them', async () => {
    const slow = ledger('slow', 60_000);
    for (let i = 0; i < 5; i++) await slow.append({ action: 'request.created', actor: { name: 'test' }, reason: `r${i}` });
    const [chainId] = slow.chainIds();
    const before = await stack.deps.audit.verify();
    expect(before.ok).toBe(true);
    const tail = before.tail?.chains.find((c) => c.chainId === chainId);
    expect(tail).toMatchObject({ chainId, records: 6, unanchoredRecords: 5, closed: false });
    expect(tail!.unanchoredSeconds).toBeGreaterThanOrEqual(0);
    await slow.close();
    const after = await stack.deps.audit.verify();
    expect(after.tail?.chains.find((c) => c.chainId === chainId)).toBeUndefined();
  });

  it('rewriting records together with the Cosmos anchor passes the Cosmos anchors but not the blob anchors', async () => {
    const victim = ledger('victim', 10);
    await victim.append({ action: 'assignment.revoked', actor: { id: PEOPLE.dave, name: 'dave@contoso.test' }, reason: 'rogue Owner for mallory' });
    await victim.append({ action: 'assignment.revoked', actor: { id: PEOPLE.dave, name: 'dave@contoso.test' }, reason: 'rogue Owner for mallory, again' });
    await victim.close();
    const [chainId] = victim.chainIds();

    // The intruder (write access to the whole Cosmos account) rewrites seq 1's actor and reason,
    // re-hashes the rest of the chain and moves the Cosmos anchor along.
    let prevHash: string | undefined;
    for (const seq of [1, 2]) {
      const id = recordId(chainId!, seq);
      const { resource } = await stack.containers.audit.item(id, chainId).read<Record<string, unknown>>();
      const doc: Record<string, unknown> = Object.fromEntries(Object.entries(resource!).filter(([k]) => !k.startsWith('_')));
      if (seq === 1) Object.assign(doc, { actor: { name: 'AccessManager' }, reason: 'routine clean-up' });
      if (prevHash) doc.prevHash = prevHash;
      doc.hash = hashOf(doc);
      prevHash = doc.hash as string;
      await stack.containers.audit.item(id, chainId).replace(doc);
    }
    const anchorId = anchorDocId(chainId!);
    const { resource: anchor } = await stack.containers.state.item(anchorId, anchorId).read<Record<string, unknown>>();
    await stack.containers.state.item(anchorId, anchorId).replace({ ...Object.fromEntries(Object.entries(anchor!).filter(([k]) => !k.startsWith('_'))), hash: prevHash });

    const cosmosOnly = await verifyAuditLedger({ audit: stack.containers.audit, state: stack.containers.state, anchorSinks: [new CosmosAnchorSink(stack.containers.state)] });
    expect(cosmosOnly.ok).toBe(true);
    const both = await stack.deps.audit.verify();
    expect(both).toMatchObject({ ok: false, firstBadId: recordId(chainId!, 2), problem: expect.stringContaining(`blob:${ANCHOR_CONTAINER}`) });
  });
});
