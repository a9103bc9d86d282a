/**
 * Settings from the environment: the ConfigMap wpp-bot-config (k8s/wpp-bot/10-configmaps.yaml) and the Secret
 * wpp-bot-secret. The defaults are the ConfigMap's values. Errors name the setting, never a secret's value.
 */
import { LOG_LEVELS, type LogLevel } from './log.ts';

export interface Config {
  port: number;
  logLevel: LogLevel;
  /** Where the real bot keeps its WhatsApp session and media cache: on the wpp-bot-data volume. */
  authInfoDir: string;
  cacheDir: string;
  postgres: { host: string; port: number; database: string; user: string; password: string };
  /** Verifies the session tokens the dashboard's operators sign in with. */
  jwtSecret: string;
  /** The only browser origin allowed to call the API; unset allows none. */
  corsOrigin: string | undefined;
  /** Text to speech; the sample does not call ElevenLabs, so it only reports whether the key is set. */
  elevenLabsApiKey: string | undefined;
}

export type ConfigResult = { ok: true; config: Config } | { ok: false; errors: string[] };

const MIN_JWT_SECRET_LENGTH = 32;

export function readConfig(env: NodeJS.ProcessEnv): ConfigResult {
  const errors: string[] = [];
  const setting = (key: string, fallback: string): string => env[key]?.trim() || fallback;
  const port = (key: string, fallback: number): number => {
    const value = setting(key, String(fallback));
    if (/^\d+$/.test(value) && Number(value) <= 65_535) return Number(value);
    errors.push(`${key} must be a port number from 0 to 65535 (got "${value}").`);
    return fallback;
  };

  const logLevel = setting('LOG_LEVEL', 'info');
  if (!LOG_LEVELS.includes(logLevel as LogLevel))
    errors.push(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')} (got "${logLevel}").`);
  const password = env.POSTGRES_PASSWORD ?? '';
  if (password === '') errors.push('POSTGRES_PASSWORD is not set (Secret wpp-bot-secret, key POSTGRES_PASSWORD).');
  const jwtSecret = env.JWT_SECRET ?? '';
  if (jwtSecret.length < MIN_JWT_SECRET_LENGTH)
    errors.push(
      `JWT_SECRET must be at least ${MIN_JWT_SECRET_LENGTH} characters (Secret wpp-bot-secret, key JWT_SECRET; make one with: openssl rand -hex 32).`,
    );

  const config: Config = {
    port: port('PORT', 3000),
    logLevel: logLevel as LogLevel,
    authInfoDir: setting('AUTH_INFO_DIR', '/app/data/auth_info'),
    cacheDir: setting('CACHE_DIR', '/app/data/cache'),
    postgres: {
      host: setting('POSTGRES_HOST', 'postgres'),
      port: port('POSTGRES_PORT', 5432),
      database: setting('POSTGRES_DB', 'wppbot'),
      user: setting('POSTGRES_USER', 'wppbot'),
      password,
    },
    jwtSecret,
    corsOrigin: env.CORS_ORIGIN?.trim() || undefined,
    elevenLabsApiKey: env.ELEVENLABS_API_KEY || undefined,
  };
  return errors.length > 0 ? { ok: false, errors } : { ok: true, config };
}
