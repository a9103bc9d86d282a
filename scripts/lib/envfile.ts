/**
 * Strict reading of env files (`.env`, `.env.caelundas`). dotenv parses the values (quotes, `export `, `#`, CRLF);
 * a scan before it rejects what dotenv would silently accept: a key given twice (the last one would win unseen) and
 * keys a Kubernetes Secret cannot hold. Errors cite file:line and never the value.
 */
import { readFileSync } from 'node:fs';
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

/** Lines inside a double-quoted multi-line value are not KEY=value lines themselves. */
function isContinuation(text: string, lineIndex: number): boolean {
  const before = text.split(/\r?\n/).slice(0, lineIndex).join('\n');
  const quotes = before.match(/(?<!\\)"/g)?.length ?? 0;
  return quotes % 2 === 1;
}
