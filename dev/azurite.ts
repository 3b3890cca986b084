/**
 * Azurite's blob service in this process, in memory: the local stand-in for the Azure Storage
 * account that holds the audit ledger's external anchors (append blobs). Like the embedded
 * Cosmos DB it needs no download beyond the npm package; it does not enforce immutability
 * policies, which Azure does (see README, Audit ledger).
 */
/** Azurite's well-known development account (documented by Microsoft; not a secret). */
export const AZURITE_ACCOUNT = 'devstoreaccount1';
export const AZURITE_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export interface EmbeddedAzurite {
  /** `http://127.0.0.1:PORT/devstoreaccount1` */
  accountUrl: string;
  accountKey: string;
  stop(): Promise<void>;
}

interface AzuriteServer {
  start(): Promise<void>;
  close(): Promise<void>;
  getHttpServerAddress(): string;
}

type ServerClass = new (config: unknown) => AzuriteServer;
type ConfigClass = new (...args: unknown[]) => unknown;

/** Starts the blob service on `port` (0: a free one) with in-memory storage. */
export async function startEmbeddedAzurite(opts: { port?: number } = {}): Promise<EmbeddedAzurite> {
  // Azurite ships CommonJS without types for its internals; loaded on demand (it takes ~0.6 s), so a stack without it pays nothing.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const BlobServer = (require('azurite/dist/src/blob/BlobServer') as { default: ServerClass }).default;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const BlobConfiguration = (require('azurite/dist/src/blob/BlobConfiguration') as { default: ConfigClass }).default;
  const config = new BlobConfiguration(
    '127.0.0.1',
    opts.port ?? 0,
    undefined, // keep-alive timeout: default
    ':memory:',
    ':memory:',
    undefined, // persistence paths: none in memory
    false, // access log
    undefined,
    false, // debug log
    undefined,
    false, // loose mode
    true, // skip the API version check: the SDK may be newer than this Azurite
    '',
    '',
    '',
    undefined, // OAuth: shared key only
    false,
    true, // in-memory persistence
  );
  const server = new BlobServer(config);
  await server.start();
  const accountUrl = `${server.getHttpServerAddress().replace(/\/$/, '')}/${AZURITE_ACCOUNT}`;
  let stopped: Promise<void> | undefined;
  return { accountUrl, accountKey: AZURITE_KEY, stop: () => (stopped ??= server.close()) };
}
