/**
 * A loopback stand-in for the GitHub REST API — the calls the real `gh` makes for environment secrets — so the tests
 * run the real gh against it, the way gh talks to a GitHub Enterprise Server: `GH_HOST=127.0.0.1:PORT` makes gh send
 * REST calls to https://127.0.0.1:PORT/api/v3/ and GraphQL to /api/graphql, with the token from GH_ENTERPRISE_TOKEN.
 * HTTPS only (gh has no plain-HTTP mode for such a host): the certificate is self-signed by the system's `openssl`
 * for 127.0.0.1 and trusted through SSL_CERT_FILE (Go reads it on Linux).
 *
 * Answers in GitHub's documented shapes:
 * - GET  /api/v3/                      the API root, with the token's scopes in X-OAuth-Scopes (`gh auth status`)
 * - POST /api/graphql                  `viewer { login }` (`gh auth status` shows who is logged in)
 * - GET  /repos/{o}/{r}/environments/{e}/secrets/public-key   `{ key_id, key }`, the environment's libsodium key
 * - GET  /repos/{o}/{r}/environments/{e}/secrets              `{ total_count, secrets: [{ name, created_at,
 *        updated_at }] }`, paginated by per_page/page with a Link header
 * - PUT  /repos/{o}/{r}/environments/{e}/secrets/{name}       `{ encrypted_value, key_id }`: 201 created, 204 updated
 * - 401 `Bad credentials` without the token, 404 `Not Found` for a repository or environment it does not have, 422
 *   for a bad key id, an invalid name or a value that does not decrypt.
 *
 * The stand-in opens each sealed box with the environment's private key (libsodium), so a test can check that the
 * right value arrived. Values stay in this process's memory; nothing is written but the certificate and its key.
 * A request it does not implement is answered 404 and recorded in `unexpected`, which tests assert is empty.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import sodium from 'libsodium-wrappers';

const execFileAsync = promisify(execFile);

export interface FakeEnvironment {
  /** Names of secrets the environment already has (their values are not known, as on GitHub). */
  secrets?: readonly string[];
}

export interface FakeRepository {
  owner: string;
  name: string;
  environments: Record<string, FakeEnvironment>;
}

export interface GitHubApiServerOptions {
  token: string;
  repositories: readonly FakeRepository[];
  login?: string;
  /** The classic token's scopes, as GitHub lists them in X-OAuth-Scopes. */
  scopes?: string;
}

export interface RecordedRequest {
  method: string;
  /** Path and query, e.g. /api/v3/repos/acme/app/environments/production/secrets?per_page=100. */
  path: string;
  /** Whether the Authorization header carried the right token (the header itself is not kept). */
  authorized: boolean;
  status: number;
}

export interface GitHubApiServer {
  /** `127.0.0.1:PORT`, for GH_HOST. */
  host: string;
  /** The certificate to trust, for SSL_CERT_FILE. */
  caFile: string;
  requests: RecordedRequest[];
  /** Requests the stand-in does not implement (answered 404). */
  unexpected: string[];
  /** The value last set for a secret, decrypted; undefined when it was never set through the API. */
  secretValue(repository: string, environment: string, name: string): string | undefined;
  /** The secret names an environment has now. */
  secretNames(repository: string, environment: string): string[];
  close(): Promise<void>;
}

interface EnvironmentState {
  keyId: string;
  keyPair: { publicKey: Uint8Array; privateKey: Uint8Array };
  secrets: Map<string, { value?: string; created_at: string; updated_at: string }>;
}

const DOCS = 'https://docs.github.com/rest';
const SECRET_NAME = /^(?!GITHUB_)(?![0-9])[A-Z0-9_]+$/;

/** A self-signed certificate for 127.0.0.1, made by the system's openssl. */
async function selfSignedCertificate(dir: string): Promise<{ key: Buffer; cert: Buffer; certFile: string }> {
  const keyFile = path.join(dir, 'key.pem');
  const certFile = path.join(dir, 'cert.pem');
  await execFileAsync('openssl', [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-days',
    '2',
    '-subj',
    '/CN=127.0.0.1',
    '-addext',
    'subjectAltName=IP:127.0.0.1',
    '-keyout',
    keyFile,
    '-out',
    certFile,
  ]);
  return { key: await readFile(keyFile), cert: await readFile(certFile), certFile };
}

export async function startGitHubApiServer(options: GitHubApiServerOptions): Promise<GitHubApiServer> {
  await sodium.ready;
  const dir = await mkdtemp(path.join(tmpdir(), 'deckhand-github-api-'));
  const { key, cert, certFile } = await selfSignedCertificate(dir);
  const environments = new Map<string, EnvironmentState>();
  let keyCounter = 0;
  const now = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  for (const repository of options.repositories) {
    for (const [environment, settings] of Object.entries(repository.environments)) {
      keyCounter += 1;
      environments.set(`${repository.owner}/${repository.name}/${environment}`.toLowerCase(), {
        keyId: `568250167242549743${keyCounter}`,
        keyPair: sodium.crypto_box_keypair(),
        secrets: new Map((settings.secrets ?? []).map((name) => [name, { created_at: now(), updated_at: now() }])),
      });
    }
  }
  const requests: RecordedRequest[] = [];
  const unexpected: string[] = [];

  const server: Server = createServer({ key, cert }, (request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const authorized = isAuthorized(request, options.token);
      const send = (status: number, body?: unknown, headers: Record<string, string> = {}) => {
        requests.push({ method: request.method ?? '', path: request.url ?? '', authorized, status });
        reply(response, status, body, headers);
      };
      if (!authorized) return send(401, { message: 'Bad credentials', documentation_url: DOCS });
      route(request, Buffer.concat(chunks).toString('utf8'), send);
    });
  });

  function route(
    request: IncomingMessage,
    body: string,
    send: (status: number, body?: unknown, headers?: Record<string, string>) => void,
  ): void {
    const url = new URL(request.url ?? '/', `https://${host}`);
    const method = request.method ?? 'GET';
    if (method === 'GET' && url.pathname === '/api/v3/') {
      return send(200, { current_user_url: `https://${host}/api/v3/user` }, { 'X-OAuth-Scopes': scopes });
    }
    if (method === 'POST' && url.pathname === '/api/graphql' && /viewer\s*\{\s*login\s*\}/.test(body)) {
      return send(200, { data: { viewer: { login: options.login ?? 'octocat' } } });
    }
    const match = /^\/api\/v3\/repos\/([^/]+)\/([^/]+)\/environments\/([^/]+)\/secrets(?:\/([^/]+))?$/.exec(
      url.pathname,
    );
    if (match) {
      const [, owner, repo, environmentName, secret] = match.map((part) => (part ? decodeURIComponent(part) : part));
      const environment = environments.get(`${owner}/${repo}/${environmentName}`.toLowerCase());
      if (!environment) return send(404, { message: 'Not Found', documentation_url: DOCS });
      if (method === 'GET' && secret === 'public-key') {
        return send(200, { key_id: environment.keyId, key: sodium.to_base64(environment.keyPair.publicKey, base64) });
      }
      if (method === 'GET' && secret === undefined) return listSecrets(url, environment, send);
      if (method === 'PUT' && secret !== undefined && secret !== 'public-key') {
        return putSecret(environment, secret, body, send);
      }
    }
    unexpected.push(`${method} ${request.url}`);
    send(404, { message: 'Not Found', documentation_url: DOCS });
  }

  function listSecrets(
    url: URL,
    environment: EnvironmentState,
    send: (status: number, body?: unknown, headers?: Record<string, string>) => void,
  ): void {
    const perPage = Math.min(Number(url.searchParams.get('per_page') ?? 30) || 30, 100);
    const page = Math.max(Number(url.searchParams.get('page') ?? 1) || 1, 1);
    const all = [...environment.secrets.entries()].sort(([a], [b]) => a.localeCompare(b));
    const slice = all.slice((page - 1) * perPage, page * perPage);
    const headers: Record<string, string> = {};
    if (page * perPage < all.length) {
      const next = new URL(url);
      next.searchParams.set('page', String(page + 1));
      headers.Link = `<${next.toString()}>; rel="next"`;
    }
    send(
      200,
      {
        total_count: all.length,
        secrets: slice.map(([name, secret]) => ({
          name,
          created_at: secret.created_at,
          updated_at: secret.updated_at,
        })),
      },
      headers,
    );
  }

  function putSecret(
    environment: EnvironmentState,
    rawName: string,
    body: string,
    send: (status: number, body?: unknown, headers?: Record<string, string>) => void,
  ): void {
    const name = rawName.toUpperCase();
    let payload: { encrypted_value?: unknown; key_id?: unknown };
    try {
      payload = JSON.parse(body) as typeof payload;
    } catch {
      return send(400, { message: 'Problems parsing JSON', documentation_url: DOCS });
    }
    if (!SECRET_NAME.test(name)) return send(422, { message: 'Invalid secret name', documentation_url: DOCS });
    if (payload.key_id !== environment.keyId || typeof payload.encrypted_value !== 'string') {
      return send(422, { message: 'Invalid request: key_id or encrypted_value', documentation_url: DOCS });
    }
    let value: string;
    try {
      const sealed = sodium.from_base64(payload.encrypted_value, base64);
      const { publicKey, privateKey } = environment.keyPair;
      value = sodium.to_string(sodium.crypto_box_seal_open(sealed, publicKey, privateKey));
    } catch {
      return send(422, { message: 'Bad request: the value could not be decrypted', documentation_url: DOCS });
    }
    const existing = environment.secrets.get(name);
    environment.secrets.set(name, { value, created_at: existing?.created_at ?? now(), updated_at: now() });
    send(existing ? 204 : 201, existing ? undefined : {});
  }

  const base64 = sodium.base64_variants.ORIGINAL;
  const scopes = options.scopes ?? 'repo, read:org';
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;

  const environmentOf = (repository: string, environment: string) =>
    environments.get(`${repository}/${environment}`.toLowerCase());
  return {
    host,
    caFile: certFile,
    requests,
    unexpected,
    secretValue: (repository, environment, name) =>
      environmentOf(repository, environment)?.secrets.get(name.toUpperCase())?.value,
    secretNames: (repository, environment) => [...(environmentOf(repository, environment)?.secrets.keys() ?? [])],
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

function isAuthorized(request: IncomingMessage, token: string): boolean {
  const header = request.headers.authorization ?? '';
  const match = /^(?:token|bearer)\s+(.+)$/i.exec(header);
  return match?.[1] === token;
}

function reply(response: ServerResponse, status: number, body: unknown, headers: Record<string, string>): void {
  for (const [name, value] of Object.entries(headers)) response.setHeader(name, value);
  if (body === undefined) {
    response.writeHead(status).end();
    return;
  }
  response.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8' }).end(JSON.stringify(body));
}
