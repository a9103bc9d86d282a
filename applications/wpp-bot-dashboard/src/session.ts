/**
 * Session tokens: JWTs signed with HMAC-SHA256 (HS256) and JWT_SECRET, which wpp-bot shares, so the token an
 * operator signs in with here is also what the dashboard shows wpp-bot's API. Only HS256 is accepted (a token cannot
 * choose a weaker algorithm), and every token must expire. (wpp-bot has the same verifier: each app is built from
 * its own folder, so they cannot share a file.)
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export interface Session {
  subject: string;
  expiresAt: Date;
}

export function signSessionToken(secret: string, subject: string, expiresAt: Date): string {
  const unsigned = `${encode({ alg: 'HS256', typ: 'JWT' })}.${encode({ sub: subject, exp: Math.floor(expiresAt.getTime() / 1000) })}`;
  return `${unsigned}.${createHmac('sha256', secret).update(unsigned).digest('base64url')}`;
}

export function verifySessionToken(token: string, secret: string, nowMs = Date.now()): Session | undefined {
  const [header, payload, signature, ...rest] = token.split('.');
  if (header === undefined || payload === undefined || signature === undefined || rest.length > 0) return undefined;
  if (decode(header)?.alg !== 'HS256') return undefined;
  const expected = createHmac('sha256', secret).update(`${header}.${payload}`).digest();
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  const claims = decode(payload);
  if (typeof claims?.sub !== 'string' || typeof claims.exp !== 'number' || claims.exp * 1000 <= nowMs) return undefined;
  return { subject: claims.sub, expiresAt: new Date(claims.exp * 1000) };
}

function encode(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

function decode(part: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
