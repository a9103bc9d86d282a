/**
 * Writing values into an env file (`.env`) without losing what a person wrote there: a key that has a line gets that
 * line replaced (the template's empty `KEY=` included), any other key is appended; comments, order and every other
 * line stay as they were. A new file starts from the documented template when there is one. The file is written
 * whole to a temporary file (mode 0600) beside it and renamed over it, so an interrupted write never leaves half a
 * file — and the result is read back with the strict reader first, so a value that would not read back as written
 * is never saved. Whether a value may be replaced at all is the caller's decision (ask first).
 */
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseEnvText } from './envfile.ts';

export interface EnvWriteResult {
  file: string;
  added: string[];
  replaced: string[];
  /** The file did not exist before. */
  created: boolean;
}

/**
 * dotenv reads an unquoted value up to a `#`, keeps single- and backtick-quoted values literally, and expands only \n
 * inside double quotes; a value is written in the first form that reads back as itself.
 */
export function formatEnvValue(value: string): string {
  if (/^[\w@%+=:,./~-]*$/.test(value)) return value;
  if (!/['\n]/.test(value)) return `'${value}'`;
  if (!/["\\]/.test(value)) return `"${value.replace(/\n/g, '\\n')}"`;
  if (!/[`\n]/.test(value)) return `\`${value}\``;
  throw new Error('internal: a value with quotes of every kind and a line break cannot be written to an env file');
}

/** The new text of the file: each key's line replaced where it has one, the rest appended. */
export function withEnvValues(
  text: string,
  values: Readonly<Record<string, string>>,
): {
  text: string;
  added: string[];
  replaced: string[];
} {
  const lines = text === '' ? [] : text.replace(/\r?\n$/, '').split(/\r?\n/);
  const added: string[] = [];
  const replaced: string[] = [];
  for (const [key, value] of Object.entries(values)) {
    const line = `${key}=${formatEnvValue(value)}`;
    const pattern = new RegExp(`^\\s*(export\\s+)?${key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*=`);
    const index = lines.findIndex((candidate) => pattern.test(candidate));
    if (index === -1) {
      lines.push(line);
      added.push(key);
    } else {
      lines[index] = line;
      replaced.push(key);
    }
  }
  return { text: `${lines.join('\n')}\n`, added, replaced };
}

export function writeEnvValues(
  file: string,
  values: Readonly<Record<string, string>>,
  options: { template?: string } = {},
): EnvWriteResult {
  const created = !existsSync(file);
  const base = created
    ? options.template && existsSync(options.template)
      ? readFileSync(options.template, 'utf8')
      : ''
    : readFileSync(file, 'utf8');
  const next = withEnvValues(base, values);
  const parsed = parseEnvText(next.text, path.basename(file));
  for (const [key, value] of Object.entries(values)) {
    if (parsed[key] !== value) throw new Error(`internal: ${key} would not read back from ${file} as written`);
  }
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  try {
    writeFileSync(temp, next.text, { mode: 0o600 });
    renameSync(temp, file);
  } finally {
    rmSync(temp, { force: true });
  }
  return { file, added: next.added, replaced: next.replaced, created };
}
