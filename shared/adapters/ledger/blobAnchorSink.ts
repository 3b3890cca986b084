/**
 * An AnchorSink the Cosmos writer cannot rewrite: chain heads appended as JSON lines to append
 * blobs in an Azure Storage container (`<chainId>/<yyyyMMddHH>.jsonl`, one blob per chain and
 * hour, far below an append blob's 50,000 blocks even at one anchor a second). With a time-based
 * retention policy that allows protected append writes on the container, anchors can be added but
 * never changed or deleted, so rewriting records together with the Cosmos anchors is detected.
 * Locally it runs against Azurite (which does not enforce the policy).
 */
import { RestError } from '@azure/core-rest-pipeline';
import type { ContainerClient } from '@azure/storage-blob';
import { chainAnchorSchema, type ChainAnchor } from '../../domain/audit/anchor';
import { TransientError } from '../../domain/errors';
import type { AnchorSink } from '../../ports/audit';

function hourOf(at: string): string {
  const d = new Date(at);
  const iso = Number.isNaN(d.getTime()) ? new Date().toISOString() : d.toISOString();
  return iso.slice(0, 13).replace(/[-T]/g, '');
}

/** The newest anchor among the JSON lines of one blob (highest seq; a closing anchor wins a tie). */
function newestIn(text: string): ChainAnchor | undefined {
  let best: ChainAnchor | undefined;
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    let parsed;
    try {
      parsed = chainAnchorSchema.safeParse(JSON.parse(line));
    } catch {
      continue;
    }
    if (!parsed.success) continue;
    const a = parsed.data;
    if (!best || a.seq > best.seq || (a.seq === best.seq && a.closed === true)) best = a;
  }
  return best;
}

function transient(err: unknown, what: string): unknown {
  if (err instanceof RestError && (err.statusCode === undefined || err.statusCode === 429 || err.statusCode >= 500)) {
    return new TransientError(`${what} failed (${err.statusCode ?? 'no answer'}: ${err.message.split('\n')[0]})`, 'AnchorStoreUnavailable');
  }
  return err;
}

export class BlobAnchorSink implements AnchorSink {
  readonly name: string;
  private containerReady: Promise<void> | undefined;

  constructor(private readonly container: ContainerClient) {
    this.name = `blob:${container.containerName}`;
  }

  /** Creates the container once when missing (deployed, infra creates it with its retention policy). */
  private ready(): Promise<void> {
    this.containerReady ??= this.container
      .createIfNotExists()
      .then(() => undefined)
      .catch((err: unknown) => {
        this.containerReady = undefined;
        // Allowed to append but not to create containers (least privilege deployed): it exists.
        if (err instanceof RestError && err.statusCode === 403) return;
        throw err;
      });
    return this.containerReady;
  }

  async write(anchor: ChainAnchor): Promise<void> {
    const line = `${JSON.stringify(chainAnchorSchema.parse(anchor))}\n`;
    const blob = this.container.getAppendBlobClient(`${anchor.chainId}/${hourOf(anchor.at)}.jsonl`);
    try {
      await this.ready();
      try {
        await blob.appendBlock(line, Buffer.byteLength(line));
      } catch (err) {
        if (!(err instanceof RestError && err.statusCode === 404)) throw err;
        await blob.createIfNotExists();
        await blob.appendBlock(line, Buffer.byteLength(line));
      }
    } catch (err) {
      throw transient(err, `Appending the anchor of chain ${anchor.chainId} to ${this.name}`);
    }
  }

  async read(chainId: string): Promise<ChainAnchor | undefined> {
    try {
      let newest: string | undefined;
      for await (const item of this.container.listBlobsFlat({ prefix: `${chainId}/` })) if (!newest || item.name > newest) newest = item.name;
      return newest ? newestIn((await this.container.getAppendBlobClient(newest).downloadToBuffer()).toString('utf8')) : undefined;
    } catch (err) {
      if (err instanceof RestError && err.statusCode === 404) return undefined;
      throw transient(err, `Reading the anchors of chain ${chainId} from ${this.name}`);
    }
  }

  async readAll(): Promise<ChainAnchor[]> {
    const newestBlob = new Map<string, string>();
    try {
      for await (const item of this.container.listBlobsFlat()) {
        const chainId = item.name.split('/')[0];
        if (!chainId) continue;
        const current = newestBlob.get(chainId);
        if (!current || item.name > current) newestBlob.set(chainId, item.name);
      }
      const anchors: ChainAnchor[] = [];
      for (const name of newestBlob.values()) {
        const anchor = newestIn((await this.container.getAppendBlobClient(name).downloadToBuffer()).toString('utf8'));
        if (anchor) anchors.push(anchor);
      }
      return anchors;
    } catch (err) {
      if (err instanceof RestError && err.statusCode === 404) return [];
      throw transient(err, `Reading the anchors in ${this.name}`);
    }
  }
}
