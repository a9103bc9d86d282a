/**
 * Output. Diagnostics go to stderr and data (tables, JSON) to stdout, so `--json` output can be piped. Listr2 draws
 * its default renderer on a terminal and falls back to plain, line-by-line output when stdout is not a TTY or
 * CI=true. Everything printed passes the SecretMasker (and the process-wide guard behind it).
 */
import { styleText } from 'node:util';
import type { SecretMasker } from './redact.ts';

export interface Ui {
  /** A person is watching a terminal (not CI, not a pipe). */
  readonly interactive: boolean;
  info(message: string): void;
  warn(message: string): void;
  success(message: string): void;
  /** Data for the user or a script: stdout. */
  data(text: string): void;
}

export function createUi(options: {
  masker: SecretMasker;
  interactive: boolean;
  stdout?: NodeJS.WritableStream;
  stderr?: NodeJS.WritableStream;
}): Ui {
  const stdout = options.stdout ?? process.stdout;
  const stderr = options.stderr ?? process.stderr;
  const paint = (format: Parameters<typeof styleText>[0], text: string) =>
    styleText(format, text, { stream: stderr as NodeJS.WriteStream });
  const line = (text: string) => stderr.write(`${options.masker.mask(text)}\n`);
  return {
    interactive: options.interactive,
    info: (message) => line(message),
    warn: (message) => line(paint('yellow', `⚠ ${message}`)),
    success: (message) => line(paint('green', `✔ ${message}`)),
    data: (text) => stdout.write(`${options.masker.mask(text)}\n`),
  };
}
