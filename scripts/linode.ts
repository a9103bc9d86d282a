/**
 * Linode, wrapped two ways, for the few calls deckhand needs (a cluster, its API endpoints, its kubeconfig; and for
 * `setup` and `doctor`: the token's profile and scopes, the regions and the plans with their prices):
 *
 * - the Linode API v4 directly, with `fetch`: a bearer token, pagination, and the retries the official clients make
 *   (429 honouring Retry-After; 503 — "kubeconfig is not yet available" while a cluster is being created — with
 *   backoff; 408). The base URL comes from LINODE_API_URL so tests can point it at a loopback server.
 * - linode-cli, when it is installed: pure argv builders and thin runners, like every tool module. Its token goes in
 *   the environment (LINODE_CLI_TOKEN), never argv.
 *
 * The token never appears in an error or a log line: messages are built from the status and the API's `reasons`
 * only, and request options (which hold the Authorization header) are never logged or attached to errors.
 *
 * Long on purpose: the API client and linode-cli are two doors to the same tool and share its retry policy and error
 * wording; one module keeps them from drifting apart.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { DeckhandError, InterruptedError, ToolMissingError } from './lib/errors.ts';
import { commandFailure, type Runner } from './lib/shell.ts';
import { plural } from './lib/wording.ts';

export const DEFAULT_API_URL = 'https://api.linode.com/v4';
export const TOKEN_URL = 'https://cloud.linode.com/profile/tokens';

/** The fields of an LKE cluster deckhand reads (GET /lke/clusters/{id}). */
export interface LkeCluster {
  id: number;
  label: string;
  region: string;
  k8s_version: string;
  status?: string;
  tags?: string[];
}

interface Page<T> {
  data: T[];
  page: number;
  pages: number;
  results: number;
}

/** A non-2xx answer from the Linode API, described without anything from the request. */
export class LinodeApiError extends DeckhandError {
  readonly status: number;
  readonly reasons: readonly string[];

  constructor(status: number, reasons: readonly string[], what: string, fix?: string) {
    super(what, fix);
    this.status = status;
    this.reasons = reasons;
  }
}

export interface RetryPolicy {
  /** Tries per request for 429/408/network errors (and for 503 outside the kubeconfig wait). */
  attempts: number;
  /** First backoff delay; doubles each time up to maxDelayMs. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** How long to keep asking for a kubeconfig that is "not yet available" (a new cluster takes minutes). */
  notReadyTimeoutMs: number;
  /** Longest Retry-After honoured; a longer one fails at once with the wait in the message. */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = {
  attempts: 5,
  baseDelayMs: 2_000,
  maxDelayMs: 30_000,
  notReadyTimeoutMs: 10 * 60_000,
  maxRetryAfterMs: 120_000,
};

export interface LinodeClientOptions {
  token: string;
  /** e.g. https://api.linode.com/v4; a URL without a version path gets /v4 appended. */
  baseUrl?: string;
  retry?: Partial<RetryPolicy>;
  /** Aborts waits and requests (Ctrl-C). */
  signal?: AbortSignal;
  /** Progress while waiting ("kubeconfig not available yet, retrying in 4 s"). */
  log?: (line: string) => void;
  /** Injected by tests to observe waits without spending them. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  fetch?: typeof fetch;
  requestTimeoutMs?: number;
}

export interface LinodeClient {
  readonly baseUrl: string;
  getCluster(clusterId: number): Promise<LkeCluster>;
  /** Every cluster with this label (the API filters; pages are followed). */
  findClustersByLabel(label: string): Promise<LkeCluster[]>;
  listApiEndpoints(clusterId: number): Promise<string[]>;
  /** The decoded kubeconfig YAML; waits while the API answers 503 "not yet available". */
  getKubeconfig(clusterId: number): Promise<string>;
  /** Who the token belongs to, and its scopes (any valid token may read its own profile). */
  getProfile(): Promise<TokenProfile>;
  listRegions(): Promise<LinodeRegion[]>;
  listTypes(): Promise<LinodeType[]>;
}

export interface TokenProfile {
  username: string;
  email?: string;
  /** From X-OAuth-Scopes: `*` (everything) or entries such as `lke:read_write`. */
  scopes: string[];
}

/** GET /regions: the fields deckhand reads. `capabilities` says whether LKE and Block Storage are offered there. */
export interface LinodeRegion {
  id: string;
  label: string;
  country: string;
  capabilities: string[];
  status: string;
  site_type?: string;
}

export interface LinodePrice {
  hourly: number | null;
  monthly: number | null;
}

/** GET /linode/types: a plan, its size and its price (regions priced differently are listed in region_prices). */
export interface LinodeType {
  id: string;
  label: string;
  class: string;
  vcpus: number;
  memory: number;
  disk: number;
  price: LinodePrice;
  region_prices?: (LinodePrice & { id: string })[];
  successor?: string | null;
}

/** What deckhand does with the token: terraform creates the cluster (and a volume), kubeconfig downloads its file. */
export const REQUIRED_SCOPES: readonly string[] = ['lke:read_write', 'volumes:read_write'];

/** X-OAuth-Scopes lists the token's scopes, separated by spaces or commas. */
export function parseScopes(header: string | null): string[] {
  return (header ?? '').split(/[\s,]+/).filter(Boolean);
}

/** The required scopes a token lacks (none for `*`; read_write also grants read_only). */
export function missingScopes(scopes: readonly string[], required: readonly string[] = REQUIRED_SCOPES): string[] {
  if (scopes.includes('*')) return [];
  return required.filter((scope) => !scopes.includes(scope));
}

export function normalizeBaseUrl(url: string | undefined): string {
  const base = (url?.trim() || DEFAULT_API_URL).replace(/\/+$/, '');
  return /\/v4(beta)?$/.test(base) ? base : `${base}/v4`;
}

export function createLinodeClient(options: LinodeClientOptions): LinodeClient {
  const baseUrl = normalizeBaseUrl(options.baseUrl);
  const policy: RetryPolicy = { ...DEFAULT_RETRY, ...options.retry };
  const sleep = options.sleep ?? ((ms: number, signal?: AbortSignal) => delay(ms, undefined, { signal }));
  const fetchImpl = options.fetch ?? fetch;
  const log = options.log ?? (() => undefined);

  async function wait(ms: number): Promise<void> {
    try {
      await sleep(ms, options.signal);
    } catch (error) {
      if (options.signal?.aborted)
        throw options.signal.reason instanceof Error ? options.signal.reason : new InterruptedError();
      throw error;
    }
  }

  /** One GET with retries. `what` names the thing asked for, for messages ("cluster 123"). */
  async function get<T>(
    path: string,
    what: string,
    extra: { headers?: Record<string, string>; waitWhileNotReady?: boolean } = {},
  ): Promise<T> {
    return (await getWithHeaders<T>(path, what, extra)).body;
  }

  /** The same GET, with the answer's headers (the token's scopes come in X-OAuth-Scopes). */
  async function getWithHeaders<T>(
    path: string,
    what: string,
    extra: { headers?: Record<string, string>; waitWhileNotReady?: boolean } = {},
  ): Promise<{ body: T; headers: Headers }> {
    const url = `${baseUrl}${path}`;
    // Time spent waiting between tries, which is what the not-ready budget limits (requests themselves time out).
    let waited = 0;
    let attempt = 0;
    let backoff = policy.baseDelayMs;
    for (;;) {
      attempt += 1;
      let response: Response;
      try {
        const timeout = AbortSignal.timeout(options.requestTimeoutMs ?? 30_000);
        response = await fetchImpl(url, {
          headers: {
            Authorization: `Bearer ${options.token}`,
            Accept: 'application/json',
            'User-Agent': 'deckhand',
            ...extra.headers,
          },
          signal: options.signal ? AbortSignal.any([options.signal, timeout]) : timeout,
        });
      } catch (error) {
        if (options.signal?.aborted)
          throw options.signal.reason instanceof Error ? options.signal.reason : new InterruptedError();
        // Only the cause's own message: never the request, which carries the token.
        const reason = describeNetworkError(error);
        if (attempt >= policy.attempts) {
          throw new DeckhandError(
            `Could not reach the Linode API at ${baseUrl} (${reason}) after ${plural(attempt, 'try', 'tries')}.`,
            'Check the network connection (and LINODE_API_URL if you set it), then run again.',
          );
        }
        log(`Linode API unreachable (${reason}); retrying in ${formatSeconds(backoff)}.`);
        await wait(backoff);
        waited += backoff;
        backoff = Math.min(backoff * 2, policy.maxDelayMs);
        continue;
      }

      if (response.ok) return { body: (await response.json()) as T, headers: response.headers };
      const reasons = await readReasons(response);
      const status = response.status;

      if (status === 429 || status === 408) {
        const retryAfter = parseRetryAfter(response.headers.get('retry-after'));
        if (retryAfter !== undefined && retryAfter > policy.maxRetryAfterMs) {
          throw rateLimited(reasons, `The API asks to wait ${formatSeconds(retryAfter)} before the next request.`);
        }
        if (attempt >= policy.attempts)
          throw status === 429
            ? rateLimited(reasons, `Still limited after ${plural(attempt, 'try', 'tries')}.`)
            : apiError(status, reasons, what);
        const pause = retryAfter ?? backoff;
        log(
          `Linode API answered ${status} (${reasons.join('; ') || 'no reason given'}); retrying in ${formatSeconds(pause)}.`,
        );
        await wait(pause);
        waited += pause;
        backoff = Math.min(backoff * 2, policy.maxDelayMs);
        continue;
      }

      // 503 during maintenance is not worth waiting for; the official clients give up on it too.
      if (status === 503 && !response.headers.has('x-maintenance-mode')) {
        const notReady = extra.waitWhileNotReady && reasons.some((reason) => /not yet available/i.test(reason));
        const withinBudget = notReady ? waited + backoff <= policy.notReadyTimeoutMs : attempt < policy.attempts;
        if (withinBudget) {
          log(`${capitalize(what)}: ${reasons[0] ?? 'service unavailable'} Asking again in ${formatSeconds(backoff)}.`);
          await wait(backoff);
          waited += backoff;
          backoff = Math.min(backoff * 2, policy.maxDelayMs);
          continue;
        }
        if (notReady) {
          throw new LinodeApiError(
            status,
            reasons,
            `The ${what} is still not available after waiting ${formatSeconds(waited)} (${reasons[0]}).`,
            'The cluster is probably still being created: run the same command again in a few minutes.',
          );
        }
      }
      throw apiError(status, reasons, what);
    }
  }

  async function getAllPages<T>(path: string, what: string, headers?: Record<string, string>): Promise<T[]> {
    const items: T[] = [];
    const separator = path.includes('?') ? '&' : '?';
    for (let page = 1; ; page += 1) {
      const body = await get<Page<T>>(`${path}${separator}page=${page}`, what, { headers });
      items.push(...body.data);
      if (page >= body.pages) return items;
    }
  }

  return {
    baseUrl,
    getProfile: async () => {
      const { body, headers } = await getWithHeaders<{ username?: string; email?: string }>(
        '/profile',
        'profile of this token',
      );
      return { username: body.username ?? '', email: body.email, scopes: parseScopes(headers.get('x-oauth-scopes')) };
    },
    listRegions: () => getAllPages<LinodeRegion>('/regions', 'regions'),
    listTypes: () => getAllPages<LinodeType>('/linode/types', 'Linode types'),
    getCluster: (clusterId) => get<LkeCluster>(`/lke/clusters/${clusterId}`, `LKE cluster ${clusterId}`),
    findClustersByLabel: (label) =>
      getAllPages<LkeCluster>('/lke/clusters', `LKE clusters labelled "${label}"`, {
        'X-Filter': JSON.stringify({ label }),
      }),
    listApiEndpoints: async (clusterId) =>
      (
        await getAllPages<{ endpoint: string }>(
          `/lke/clusters/${clusterId}/api-endpoints`,
          `API endpoints of LKE cluster ${clusterId}`,
        )
      ).map((entry) => entry.endpoint),
    getKubeconfig: async (clusterId) => {
      const body = await get<{ kubeconfig?: string }>(
        `/lke/clusters/${clusterId}/kubeconfig`,
        `kubeconfig of LKE cluster ${clusterId}`,
        { waitWhileNotReady: true },
      );
      if (!body.kubeconfig)
        throw new DeckhandError(
          `The Linode API returned no kubeconfig for cluster ${clusterId}.`,
          'Download it from Cloud Manager (Kubernetes → the cluster → Download kubeconfig) and pass it with --kubeconfig.',
        );
      return Buffer.from(body.kubeconfig, 'base64').toString('utf8');
    },
  };
}

function apiError(status: number, reasons: readonly string[], what: string): LinodeApiError {
  const detail = `${status}: ${reasons.join('; ') || 'no reason given'}`;
  switch (status) {
    case 401:
      return new LinodeApiError(
        status,
        reasons,
        `The Linode API rejected the token (${detail}).`,
        `Check LINODE_TOKEN (in .env or the environment): create a personal access token with Kubernetes read/write at ${TOKEN_URL}.`,
      );
    case 403:
      return new LinodeApiError(
        status,
        reasons,
        `The token may not read the ${what} (${detail}).`,
        `Give the token the Kubernetes read/write scope (downloading a kubeconfig needs lke:read_write) at ${TOKEN_URL}.`,
      );
    case 404:
      return new LinodeApiError(
        status,
        reasons,
        `No ${what} (${detail}).`,
        'Check the id or label: list your clusters with `linode-cli lke clusters-list` or in Cloud Manager (Kubernetes).',
      );
    default:
      return new LinodeApiError(
        status,
        reasons,
        `The Linode API failed to return the ${what} (${detail}).`,
        'Run again in a minute; if it keeps failing, check https://status.linode.com.',
      );
  }
}

function rateLimited(reasons: readonly string[], detail: string): LinodeApiError {
  return new LinodeApiError(
    429,
    reasons,
    `The Linode API is limiting requests from this token (429: ${reasons.join('; ') || 'Too many requests'}). ${detail}`,
    'Wait a minute and run again; other scripts using the same token share its limit.',
  );
}

async function readReasons(response: Response): Promise<string[]> {
  try {
    const body = (await response.json()) as { errors?: { reason?: string; field?: string | null }[] };
    return (body.errors ?? [])
      .map((error) => (error.field ? `${error.field}: ${error.reason ?? ''}` : (error.reason ?? '')))
      .filter(Boolean);
  } catch {
    return [];
  }
}

/** Retry-After is seconds or an HTTP date; milliseconds, or undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function describeNetworkError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  if (error.name === 'TimeoutError') return 'no answer in time';
  const cause =
    error.cause instanceof Error ? ((error.cause as NodeJS.ErrnoException).code ?? error.cause.message) : undefined;
  return cause ? `${error.message}: ${cause}` : error.message;
}

function formatSeconds(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${Math.round(ms / 100) / 10} s`;
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

// ─── linode-cli ────────────────────────────────────────────────────────────────────────────────────────────────

export function cliVersionArgs(): string[] {
  return ['linode-cli', '--version'];
}

export function cliKubeconfigViewArgs(clusterId: number): string[] {
  return ['linode-cli', 'lke', 'kubeconfig-view', String(clusterId), '--json'];
}

export function cliClusterViewArgs(clusterId: number): string[] {
  return ['linode-cli', 'lke', 'cluster-view', String(clusterId), '--json'];
}

export function cliClustersListArgs(label: string): string[] {
  return ['linode-cli', 'lke', 'clusters-list', '--label', label, '--json'];
}

/** The token for linode-cli goes in its environment; without one it uses its own configuration (`linode-cli configure`). */
export function cliEnv(token: string | undefined): Record<string, string | undefined> {
  return token ? { LINODE_CLI_TOKEN: token } : {};
}

export async function isCliInstalled(shell: Runner): Promise<boolean> {
  try {
    await shell.run(cliVersionArgs(), { kind: 'read', nothrow: true, timeoutMs: 20_000 });
    return true;
  } catch (error) {
    if (error instanceof ToolMissingError) return false;
    throw error;
  }
}

/**
 * linode-cli prints `--json` results as an array: one element for a single object, the rows for a list. Objects are
 * accepted too, in case a version changes that.
 */
export function parseCliJson<T>(stdout: string): T[] {
  const parsed = JSON.parse(stdout) as T | T[];
  return Array.isArray(parsed) ? parsed : [parsed];
}

export interface CliOptions {
  token?: string;
  retry?: Partial<RetryPolicy>;
  signal?: AbortSignal;
  log?: (line: string) => void;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/**
 * One linode-cli read, retried while the API behind it answers 503 (linode-cli exits 2 and prints
 * "Request failed: 503"). linode-cli already retries 429 itself.
 */
async function cliRead(shell: Runner, argv: string[], what: string, options: CliOptions): Promise<string> {
  const policy: RetryPolicy = { ...DEFAULT_RETRY, ...options.retry };
  const sleep = options.sleep ?? ((ms: number, signal?: AbortSignal) => delay(ms, undefined, { signal }));
  let waited = 0;
  let backoff = policy.baseDelayMs;
  for (;;) {
    const result = await shell.run(argv, {
      kind: 'read',
      nothrow: true,
      env: cliEnv(options.token),
      timeoutMs: 60_000,
    });
    if (result.exitCode === 0) return result.stdout;
    const output = `${result.stderr}\n${result.stdout}`;
    if (/Request failed: 503/.test(output) && waited + backoff <= policy.notReadyTimeoutMs) {
      options.log?.(`${capitalize(what)}: not available yet (503); asking again in ${formatSeconds(backoff)}.`);
      await sleep(backoff, options.signal);
      waited += backoff;
      backoff = Math.min(backoff * 2, policy.maxDelayMs);
      continue;
    }
    const status = /Request failed: (\d{3})/.exec(output)?.[1];
    const fix =
      status === '401'
        ? `The token was rejected: set LINODE_TOKEN (a personal access token from ${TOKEN_URL}) or run \`linode-cli configure\`.`
        : status === '404'
          ? 'Check the cluster id: `linode-cli lke clusters-list` lists yours.'
          : 'Run the command above by hand to see the whole answer.';
    throw commandFailure(shell, result, fix);
  }
}

export async function cliKubeconfig(shell: Runner, clusterId: number, options: CliOptions = {}): Promise<string> {
  const stdout = await cliRead(
    shell,
    cliKubeconfigViewArgs(clusterId),
    `kubeconfig of LKE cluster ${clusterId}`,
    options,
  );
  const encoded = parseCliJson<{ kubeconfig?: string }>(stdout)[0]?.kubeconfig;
  if (!encoded)
    throw new DeckhandError(
      `linode-cli returned no kubeconfig for cluster ${clusterId}.`,
      'Run `linode-cli lke kubeconfig-view ID --json` by hand to see what it answers.',
    );
  return Buffer.from(encoded, 'base64').toString('utf8');
}

export async function cliCluster(shell: Runner, clusterId: number, options: CliOptions = {}): Promise<LkeCluster> {
  const cluster = parseCliJson<LkeCluster>(
    await cliRead(shell, cliClusterViewArgs(clusterId), `LKE cluster ${clusterId}`, options),
  )[0];
  if (!cluster) throw new DeckhandError(`linode-cli returned nothing for cluster ${clusterId}.`);
  return cluster;
}

export async function cliFindClustersByLabel(
  shell: Runner,
  label: string,
  options: CliOptions = {},
): Promise<LkeCluster[]> {
  return parseCliJson<LkeCluster>(
    await cliRead(shell, cliClustersListArgs(label), `LKE clusters labelled "${label}"`, options),
  );
}
