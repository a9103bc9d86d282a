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
