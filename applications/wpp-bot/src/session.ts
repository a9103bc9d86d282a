/**
 * Session tokens: JWTs signed with HMAC-SHA256 (HS256) and JWT_SECRET, which the dashboard shares. Only HS256 is
 * accepted (a token cannot choose a weaker algorithm), and every token must expire.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export interface Session {
  subject: string;
  expiresAt: Date;
}

export function verifySessionToken(token: string, secret: string, nowMs = Date.now()): Session | undefined {
  const [header, payload, signature, ...rest] = token.split('.');
  if (header === undefined || payload === undefined || signature === undefined || rest.length > 0) return undefined;
  if (readJson(header)?.alg !== 'HS256') return undefined;
  const expected = createHmac('sha256', secret).update(`${header}.${payload}`).digest();
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  const claims = readJson(payload);
  if (typeof claims?.sub !== 'string' || typeof claims.exp !== 'number' || claims.exp * 1000 <= nowMs) return undefined;
  return { subject: claims.sub, expiresAt: new Date(claims.exp * 1000) };
}

function readJson(part: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
