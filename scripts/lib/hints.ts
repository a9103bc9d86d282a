/**
 * The deckhand commands that messages tell people to run. Every hint is built here, so the way deckhand is started
 * (`npx tsx tasks.ts …`) is written once, and a value that needs quoting (a path with a space) is quoted.
 */
import { displayQuote } from './quote.ts';

/** How the README tells people to start deckhand. */
export const LAUNCHER = 'npx tsx tasks.ts';

/** `npx tsx tasks.ts uninstall caelundas --release caelundas-20260125-143022`; empty parts are left out. */
export function deckhand(...parts: readonly (string | undefined | false)[]): string {
  const shown = parts.filter((part): part is string => typeof part === 'string' && part !== '').map(displayQuote);
  return [LAUNCHER, ...shown].join(' ');
}

/**
 * A deckhand command as lines of at most `width` columns that still paste into a shell as one command: it is broken
 * only before an option (keeping `--release NAME` together), each line but the last ending in ` \`, the next ones
 * indented two more. A command that fits is one line; a single word wider than the line stays whole.
 */
export function commandLines(
  width: number,
  indent: string,
  ...parts: readonly (string | undefined | false)[]
): string[] {
  const command = deckhand(...parts);
  if (indent.length + command.length <= width) return [indent + command];
  const words = command.split(' ');
  // Groups: the launcher and the words up to the first option, then each option with the values after it.
  const groups: string[] = [];
  for (const word of words) {
    if (groups.length === 0 || word.startsWith('-')) groups.push(word);
    else groups[groups.length - 1] += ` ${word}`;
  }
  const lines: string[] = [];
  let line = indent + groups[0]!;
  groups.slice(1).forEach((group, index, rest) => {
    // Room for the group and, unless it is the last, the ` \` that may have to follow it.
    const continued = index < rest.length - 1 ? 2 : 0;
    if (line.length + 1 + group.length + continued <= width) line += ` ${group}`;
    else {
      lines.push(`${line} \\`);
      line = `${indent}  ${group}`;
    }
  });
  lines.push(line);
  return lines;
}
