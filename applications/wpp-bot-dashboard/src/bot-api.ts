/** Calls wpp-bot's API from the server (API_INTERNAL_URL, inside the cluster): the browser never talks to it. */

export type BotStatus = { state: 'ready' } | { state: 'not ready' | 'unreachable'; reason: string };

export interface Message {
  id: number;
  sender: string;
  text: string;
  receivedAt: string;
}

export type MessagesResult = { ok: true; messages: Message[] } | { ok: false; reason: string };

/** Below the dashboard's own probe timeout (3 s), so a slow bot never makes the dashboard look dead. */
const API_TIMEOUT_MS = 2_000;

export async function fetchStatus(apiUrl: string): Promise<BotStatus> {
  try {
    const response = await fetch(new URL('/health/ready', apiUrl), { signal: AbortSignal.timeout(API_TIMEOUT_MS) });
    if (response.ok) return { state: 'ready' };
    const body = (await response.json().catch(() => ({}))) as { reason?: unknown };
    return { state: 'not ready', reason: typeof body.reason === 'string' ? body.reason : `HTTP ${response.status}` };
  } catch (error) {
    return { state: 'unreachable', reason: describeFetchError(error) };
  }
}

export async function fetchMessages(apiUrl: string, sessionToken: string, limit = 20): Promise<MessagesResult> {
  try {
    const url = new URL('/api/messages', apiUrl);
    url.searchParams.set('limit', String(limit));
    const response = await fetch(url, {
      headers: { authorization: `Bearer ${sessionToken}` },
      signal: AbortSignal.timeout(API_TIMEOUT_MS),
    });
    if (!response.ok) return { ok: false, reason: `wpp-bot answered HTTP ${response.status}` };
    const body = (await response.json()) as { messages: Message[] };
    return { ok: true, messages: body.messages };
  } catch (error) {
    return { ok: false, reason: describeFetchError(error) };
  }
}

function describeFetchError(error: unknown): string {
  if (error instanceof Error && error.name === 'TimeoutError') return `no answer within ${API_TIMEOUT_MS / 1000} s`;
  const cause = error instanceof Error ? (error.cause as { code?: unknown } | undefined) : undefined;
  return typeof cause?.code === 'string' ? `cannot connect (${cause.code})` : 'cannot connect';
}
