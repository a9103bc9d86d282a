/** One JSON object per line on stdout (a copy of wpp-bot's logger: each app is built from its own folder). */

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

export type Logger = Record<LogLevel, (message: string, fields?: Record<string, unknown>) => void>;

/** Never pass a secret in `fields`: whatever is given is written as it is. */
export function createLogger(minimum: LogLevel): Logger {
  const write =
    (level: LogLevel) =>
    (message: string, fields: Record<string, unknown> = {}) => {
      if (LOG_LEVELS.indexOf(level) < LOG_LEVELS.indexOf(minimum)) return;
      process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), level, msg: message, ...fields })}\n`);
    };
  return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') };
}
