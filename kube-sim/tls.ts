/**
 * An HTTPS front door for the simulator. kubectl and helm (client-go) send a kubeconfig's credentials only over TLS
 * (`IsConfigTransportTLS`), so a ServiceAccount token can only be used against an HTTPS endpoint. The front terminates
 * TLS with a self-signed certificate for 127.0.0.1 (made once per process with the system's `openssl`) and passes
 * each connection on, byte for byte, to the plain-HTTP server, which then sees the client's own requests.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { connect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createServer, type Server } from 'node:tls';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

interface Certificate {
  key: string;
  cert: string;
}

let certificate: Promise<Certificate> | undefined;

function selfSignedCertificate(): Promise<Certificate> {
  certificate ??= (async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'kube-sim-tls-'));
    try {
      const key = path.join(dir, 'key.pem');
      const cert = path.join(dir, 'cert.pem');
      await execFileAsync('openssl', [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        key,
        '-out',
        cert,
        '-days',
        '2',
        '-subj',
        '/CN=kube-sim',
        '-addext',
        'subjectAltName=IP:127.0.0.1,DNS:localhost',
      ]).catch((error: unknown) => {
        throw new Error(
          `kube-sim needs openssl to make its TLS certificate: ${error instanceof Error ? error.message : String(error)}`,
        );
      });
      return { key: await readFile(key, 'utf8'), cert: await readFile(cert, 'utf8') };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  })();
  return certificate;
}

export interface TlsFront {
  url: string;
  /** The CA certificate (PEM) clients must trust: the server's own, self-signed. */
  caPem: string;
  close(): Promise<void>;
}

export async function startTlsFront(httpPort: number): Promise<TlsFront> {
  const { key, cert } = await selfSignedCertificate();
  const sockets = new Set<import('node:net').Socket>();
  const server: Server = createServer({ key, cert }, (secure) => {
    const plain = connect({ host: '127.0.0.1', port: httpPort });
    sockets.add(plain);
    secure.pipe(plain).pipe(secure);
    const end = (): void => {
      secure.destroy();
      plain.destroy();
      sockets.delete(plain);
    };
    secure.on('error', end);
    plain.on('error', end);
    secure.on('close', end);
    plain.on('close', end);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `https://127.0.0.1:${port}`,
    caPem: cert,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
