/** toStoreError: every Cosmos failure becomes a named error that says whether retrying can help. */
import net from 'node:net';
import { ErrorResponse, RestError } from '@azure/cosmos';
import { ConflictError, InternalError, NotFoundError, PreconditionFailedError, TransientError, ValidationError } from '../../shared/domain/errors';
import { createCosmosClient } from '../../shared/adapters/cosmos/client';
import { readDoc } from '../../shared/adapters/cosmos/document';
import { toStoreError } from '../../shared/adapters/cosmos/storeErrors';
import { z } from 'zod';
import { generateLocalTls } from '../../dev/tls';
import { EMBEDDED_COSMOS_KEY } from '../../dev/cosmos';

function cosmosError(code: number | string, extra: Partial<ErrorResponse> = {}): ErrorResponse {
  return Object.assign(new ErrorResponse(`Message: {"Errors":["something"]}\nActivityId: 123, Request URI: /x`), { code, ...extra });
}

describe('toStoreError', () => {
  test.each([
    ['404', cosmosError(404), NotFoundError, 'grants/g-1 was not found.'],
    ['409', cosmosError(409), ConflictError, 'grants/g-1 already exists.'],
    ['412', cosmosError(412), PreconditionFailedError, 'grants/g-1 changed while we were updating it.'],
    ['429', cosmosError(429, { retryAfterInMs: 250 }), TransientError, 'Cosmos DB is throttling requests (429) for grants/g-1; retry later.'],
    ['503', cosmosError(503), TransientError, 'Cosmos DB is unavailable (503) for grants/g-1; retry later.'],
    ['408', cosmosError(408), TransientError, 'Cosmos DB is unavailable (408) for grants/g-1; retry later.'],
    ['449 retry-with', cosmosError(449), TransientError, 'Cosmos DB is unavailable (449) for grants/g-1; retry later.'],
    ['410 gone', cosmosError(410), TransientError, 'Cosmos DB is unavailable (410) for grants/g-1; retry later.'],
    ['ECONNREFUSED', new RestError('connect ECONNREFUSED 127.0.0.1:1', { code: 'ECONNREFUSED' }), TransientError, 'Cosmos DB store unavailable (ECONNREFUSED) for grants/g-1; retry later.'],
    ['ECONNRESET', Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }), TransientError, 'Cosmos DB store unavailable (ECONNRESET) for grants/g-1; retry later.'],
    ['ETIMEDOUT in cause', Object.assign(new Error('fetch failed'), { cause: { code: 'ETIMEDOUT' } }), TransientError, 'Cosmos DB store unavailable (ETIMEDOUT) for grants/g-1; retry later.'],
    ['SDK timeout', Object.assign(new Error('Timeout Error'), { name: 'TimeoutError', code: 'TimeoutError' }), TransientError, 'Cosmos DB store unavailable (TimeoutError) for grants/g-1; retry later.'],
    ['400 keeps the first line only', cosmosError(400), InternalError, 'Cosmos DB failed 400 on grants/g-1: Message: {"Errors":["something"]}'],
    ['401', cosmosError(401), InternalError, 'Cosmos DB failed 401 on grants/g-1: Message: {"Errors":["something"]}'],
    ['not an error at all', 'boom', InternalError, 'Cosmos DB failed on grants/g-1: boom'],
  ])('%s', (_name, err, type, message) => {
    const mapped = toStoreError(err, 'grants/g-1');
    expect(mapped).toBeInstanceOf(type);
    expect(mapped.message).toBe(message);
  });

  test('keeps the server-suggested back-off and marks throttling transient', () => {
    const mapped = toStoreError(cosmosError(429, { retryAfterInMs: 250 }), 'x');
    expect(mapped).toMatchObject({ transient: true, retryAfterMs: 250, code: 'StoreThrottled', status: 503 });
  });

  test('our own errors pass through unchanged', () => {
    const own = new ValidationError('bad');
    expect(toStoreError(own, 'x')).toBe(own);
  });

  test('a store that cannot be reached is TransientError "store unavailable" through the real SDK', async () => {
    const closedPort = await new Promise<number>((resolve) => {
      const probe = net.createServer().listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as net.AddressInfo;
        probe.close(() => resolve(port));
      });
    });
    const tls = await generateLocalTls();
    const client = createCosmosClient({ endpoint: `https://127.0.0.1:${closedPort}`, key: EMBEDDED_COSMOS_KEY, ca: tls.cert });
    try {
      const read = readDoc(client.database('accessmanager').container('grants'), 'g-1', 'g-1', z.object({ id: z.string() }));
      await expect(read).rejects.toBeInstanceOf(TransientError);
      await expect(read).rejects.toThrow(/store unavailable \(ECONNREFUSED\) for grants\/g-1/);
    } finally {
      client.dispose();
    }
  });
});
