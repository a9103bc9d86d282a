/**
 * Strict reading of env files (`.env`, `.env.caelundas`). dotenv parses the values (quotes, `export `, `#`, CRLF);
 * a scan before it rejects what dotenv would silently accept: a key given twice (the last one would win unseen) and
 * keys a Kubernetes Secret cannot hold. Errors cite file:line and never the value.
 */
import { chmodSync, readFileSync, realpathSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseDotenv } from 'dotenv';
import { UsageError, ValidationError } from './errors.ts';
import { SECRET_KEY } from './names.ts';

/** The file's entries, or an empty map when it does not exist. */
export function readEnvFile(file: string): Record<string, string> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return {};
    if (code === 'EISDIR') {
      throw new UsageError(
        `${file} is a folder, not an env file.`,
        'An env file is a text file of KEY=value lines: move the folder away, or set DECKHAND_ENV_DIR to another folder.',
      );
    }
    throw error;
  }
  return parseEnvText(text, path.basename(file));
}

export function parseEnvText(text: string, fileName: string): Record<string, string> {
  const problems: string[] = [];
  const seen = new Map<string, number>();
  text.split(/\r?\n/).forEach((line, index) => {
    const match = /^\s*(?:export\s+)?([^\s=#]+)\s*=/.exec(line);
    if (!match) {
      if (line.trim() !== '' && !line.trim().startsWith('#') && !isContinuation(text, index)) {
        problems.push(`${fileName}:${index + 1}: not a KEY=value line`);
      }
      return;
    }
    const key = match[1]!;
    if (!SECRET_KEY.test(key))
      problems.push(`${fileName}:${index + 1}: "${key}" is not a valid key (letters, digits, '-', '_', '.')`);
    const first = seen.get(key);
    if (first !== undefined) problems.push(`${fileName}:${index + 1}: ${key} is already set on line ${first}`);
    else seen.set(key, index + 1);
  });
  if (problems.length > 0)
    throw new ValidationError(`${fileName} cannot be read:`, problems, `Fix ${fileName}; each line is KEY=value.`);
  return parseDotenv(text);
}

/**
 * Each key of an env file with its line number, or undefined when the file is missing or cannot be read: the strict
 * reading reports those problems where the file is used; this is for advice (misspelt keys) only.
 */
export function envFileKeyLines(file: string): { key: string; line: number }[] | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
    parseEnvText(text, path.basename(file));
  } catch {
    return undefined;
  }
  return text.split(/\r?\n/).flatMap((line, index) => {
    const match = /^\s*(?:export\s+)?([^\s=#]+)\s*=/.exec(line);
    return match && !isContinuation(text, index) ? [{ key: match[1]!, line: index + 1 }] : [];
  });
}

/** Lines inside a double-quoted multi-line value are not KEY=value lines themselves. */
function isContinuation(text: string, lineIndex: number): boolean {
  const before = text.split(/\r?\n/).slice(0, lineIndex).join('\n');
  const quotes = before.match(/(?<!\\)"/g)?.length ?? 0;
  return quotes % 2 === 1;
}

/**
 * How a value is written to an env file so that dotenv (and parseEnvText) read back exactly that value, or
 * undefined when no quoting can: single quotes are literal in dotenv, double quotes expand \n.
 */
export function envFileValue(value: string): string | undefined {
  if (/^[\w.,:/@+=-]*$/.test(value)) return value;
  if (value.includes('\n') || value.includes('\r')) return undefined;
  if (!value.includes("'")) return `'${value}'`;
  if (!value.includes('"') && !value.includes('\\')) return `"${value}"`;
  return undefined;
}

/**
 * Sets keys in an env file without losing anything else in it: a key already there (empty, say `START_DATE=`) is
 * set on its own line, keeping `export ` and a trailing comment; a new key is added at the end; comments, blank
 * lines, other keys and the line endings stay as they were. The file is written whole to a temporary file beside it
 * and renamed over it (a crash leaves the old file), mode 0600. The result is read back with the strict reader first.
 */
export function setEnvFileKeys(file: string, entries: Readonly<Record<string, string>>): void {
  const target = resolvedPath(file);
  let text = '';
  try {
    text = readFileSync(target, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const lines = text === '' ? [] : text.split(/\r?\n/);
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  for (const [key, value] of Object.entries(entries)) {
    const quoted = envFileValue(value);
    if (quoted === undefined) throw new Error(`internal: ${key}'s value cannot be written to an env file`);
    const written = `${key}=${quoted}`;
    const at = lines.findIndex((line, index) => keyOfLine(line) === key && !isContinuation(text, index));
    if (at === -1) {
      lines.push(written);
      continue;
    }
    const old = lines[at]!;
    const exported = /^\s*export\s+/.test(old) ? 'export ' : '';
    const comment = /=\s*(#.*)$/.exec(old)?.[1];
    lines[at] = `${exported}${written}${comment ? ` ${comment}` : ''}`;
  }
  const result = `${lines.join(eol)}${eol}`;
  const parsed = parseEnvText(result, path.basename(file));
  for (const [key, value] of Object.entries(entries)) {
    if (parsed[key] !== value) throw new Error(`internal: ${key} would not read back as written`);
  }
  const temporary = path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.tmp`);
  try {
    writeFileSync(temporary, result, { mode: 0o600, flag: 'wx' });
    renameSync(temporary, target);
  } finally {
    rmSync(temporary, { force: true });
  }
  chmodSync(target, 0o600);
}

function keyOfLine(line: string): string | undefined {
  return /^\s*(?:export\s+)?([^\s=#]+)\s*=/.exec(line)?.[1];
}

/** A symlinked env file is changed where it points, not replaced by a file of its own. */
function resolvedPath(file: string): string {
  try {
    return realpathSync(file);
  } catch {
    return file;
  }
}
