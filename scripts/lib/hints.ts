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

/**
 * What kubectl, helm and Go's HTTP client say when the cluster's API cannot be reached or the connection broke:
 * refused, reset, timed out, cut mid-answer. Such a failure says nothing about permissions or a helper image, so
 * it never gets those hints (see CommandError).
 */
const NETWORK_FAILURE = new RegExp(
  [
    'unable to connect to the server',
    'the connection to the server \\S+ was refused',
    'dial tcp [^\\n]*: connect: ',
    'connection reset by peer',
    'connection refused',
    'i/o timeout',
    'tls handshake timeout',
    'unexpected eof',
    'no such host',
    'network is unreachable',
    'no route to host',
    'http2: client connection lost',
    'broken pipe',
    'context deadline exceeded',
    'client\\.timeout exceeded',
  ].join('|'),
  'i',
);

export function isNetworkFailure(text: string): boolean {
  return NETWORK_FAILURE.test(text);
}

/** The hint a network failure gets unless its call has a more exact one (which cluster, which kubeconfig). */
export const NETWORK_HINT =
  "The cluster's API did not answer: check your network (VPN, proxy) and that the cluster is up, then run again.";
