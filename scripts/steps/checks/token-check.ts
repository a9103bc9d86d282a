/**
 * Is the Linode token good for what deckhand does with it? GET /v4/profile answers any valid token and echoes its
 * scopes (X-OAuth-Scopes): a 401 means the token is wrong or revoked, and a token without Kubernetes and Volumes
 * read/write cannot create the cluster or download its kubeconfig. Used by `doctor` and by `setup`, which checks a
 * typed token this way before it is saved.
 */
import type { Config } from '../../lib/config.ts';
import {
  LinodeApiError,
  REQUIRED_SCOPES,
  TOKEN_URL,
  createLinodeClient,
  missingScopes,
  type TokenProfile,
} from '../../linode.ts';
import type { CheckResult } from './check.ts';

export type TokenVerdict =
  | { kind: 'ok'; profile: TokenProfile }
  | { kind: 'rejected'; reason: string }
  | { kind: 'scopes'; profile: TokenProfile; missing: string[] }
  | { kind: 'unreachable'; reason: string };

/** One quick try, no retries: a person is waiting for the answer. */
export async function verifyToken(
  config: Pick<Config, 'linodeApiUrl'>,
  token: string,
  signal?: AbortSignal,
): Promise<TokenVerdict> {
  const client = createLinodeClient({
    token,
    baseUrl: config.linodeApiUrl,
    retry: { attempts: 1 },
    requestTimeoutMs: 15_000,
    ...(signal ? { signal } : {}),
  });
  try {
    const profile = await client.getProfile();
    const missing = missingScopes(profile.scopes);
    return missing.length === 0 ? { kind: 'ok', profile } : { kind: 'scopes', profile, missing };
  } catch (error) {
    if (error instanceof LinodeApiError && (error.status === 401 || error.status === 403))
      return { kind: 'rejected', reason: `${error.status}: ${error.reasons.join('; ') || 'no reason given'}` };
    if (signal?.aborted) throw error;
    return { kind: 'unreachable', reason: error instanceof Error ? error.message.split('\n')[0]! : String(error) };
  }
}

export const TOKEN_FIX = `Create a personal access token with Kubernetes and Volumes read/write (${REQUIRED_SCOPES.join(', ')}) at ${TOKEN_URL}, and set LINODE_TOKEN in .env.`;

/** A sentence for a verdict that is not ok (for setup's prompt and errors). */
export function describeVerdict(verdict: Exclude<TokenVerdict, { kind: 'ok' }>): string {
  switch (verdict.kind) {
    case 'rejected':
      return `The Linode API rejected the token (${verdict.reason}).`;
    case 'scopes':
      return `The token of ${verdict.profile.username || 'this user'} lacks ${verdict.missing.join(' and ')} (it has ${verdict.profile.scopes.join(', ') || 'no scopes listed'}).`;
    case 'unreachable':
      return `The Linode API could not be asked about the token: ${verdict.reason}`;
  }
}

export function tokenCheckResult(verdict: TokenVerdict | undefined): CheckResult {
  const name = 'linode token';
  if (!verdict)
    return {
      name,
      status: 'warn',
      message: 'LINODE_TOKEN is not set: `infra` and `kubeconfig` will ask for it on a terminal',
      fix: TOKEN_FIX,
    };
  switch (verdict.kind) {
    case 'ok':
      return {
        name,
        status: 'ok',
        message: `valid (user ${verdict.profile.username || '?'}), scopes ${verdict.profile.scopes.join(', ')}`,
      };
    case 'unreachable':
      return {
        name,
        status: 'warn',
        message: describeVerdict(verdict),
        fix: 'Check the network (and LINODE_API_URL if you set it), then run doctor again.',
      };
    default:
      return {
        name,
        status: 'fail',
        message: describeVerdict(verdict),
        fix: TOKEN_FIX,
        blocks: {
          purposes: ['infra'],
          lack: verdict.kind === 'rejected' ? 'the Linode token is rejected' : 'the Linode token lacks scopes',
        },
      };
  }
}
