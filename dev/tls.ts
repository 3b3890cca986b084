/**
 * A throwaway TLS identity for the local servers (simulated Azure, embedded Cosmos).
 * Generated at start, never committed; its certificate doubles as the CA that local clients trust.
 */
import selfsigned from 'selfsigned';

export interface LocalTls {
  /** PEM private key. */
  key: string;
  /** PEM certificate; pass it as `ca` to every client that talks to the local servers. */
  cert: string;
}

let cached: Promise<LocalTls> | undefined;

/** EC P-256 + sha256 keeps generation around 20 ms; the IP SANs matter because Cosmos endpoint discovery switches to 127.0.0.1. */
export function generateLocalTls(): Promise<LocalTls> {
  cached ??= selfsigned
    .generate([{ name: 'commonName', value: 'localhost' }], {
      keyType: 'ec',
      algorithm: 'sha256',
      notAfterDate: new Date(Date.now() + 7 * 24 * 3600 * 1000),
      extensions: [
        { name: 'basicConstraints', cA: true },
        { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, keyCertSign: true },
        { name: 'extKeyUsage', serverAuth: true },
        {
          name: 'subjectAltName',
          altNames: [
            { type: 2, value: 'localhost' },
            { type: 7, ip: '127.0.0.1' },
            { type: 7, ip: '::1' },
          ],
        },
      ],
    })
    .then((pems) => ({ key: pems.private, cert: pems.cert }));
  return cached;
}
