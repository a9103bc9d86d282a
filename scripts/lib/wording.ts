/**
 * Counted nouns in messages: "1 file", "2 files", "0 files". Every message with a count goes through here, so no
 * "1 files" or "last 1 lines" slips in when a count happens to be one.
 */

/** `count` and the noun in the right number; the plural is the noun + "s" unless given (`plural(n, 'try', 'tries')`). */
export function plural(count: number, singular: string, pluralForm = `${singular}s`): string {
  return `${count.toLocaleString('en-US')} ${noun(count, singular, pluralForm)}`;
}

/** The word alone, in the number `count` asks for: `${plural(n, 'secret')} ${noun(n, 'has', 'have')} no value`. */
export function noun(count: number, singular: string, pluralForm = `${singular}s`): string {
  return count === 1 ? singular : pluralForm;
}

/** "A", "A and B", "A, B and C". */
export function joinWords(items: readonly string[]): string {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;
}

/**
 * Prose broken into lines of at most `width` columns at spaces. A word longer than a line — a path, a URL, a
 * command — is kept whole: cut in two it could no longer be copied.
 */
export function wrapWords(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line === '') line = word;
    else if (line.length + 1 + word.length <= width) line += ` ${word}`;
    else {
      lines.push(line);
      line = word;
    }
  }
  lines.push(line);
  return lines;
}

/** Prose wrapped to `width`, the lines after the first indented by `indent` (a long message under its start). */
export function wrapIndented(text: string, width: number, indent = '  '): string[] {
  const [first = '', ...rest] = wrapWords(text, width);
  return rest.length === 0
    ? [first]
    : [first, ...wrapWords(rest.join(' '), width - indent.length).map((line) => indent + line)];
}

/** `label` then `text` wrapped beside it: the lines after the first start under the text, not under the label. */
export function hangingLines(label: string, text: string, width: number): string[] {
  const room = Math.max(width - label.length, 30);
  return wrapWords(text, room).map((line, index) => (index === 0 ? label : ' '.repeat(label.length)) + line);
}

/** How wide lines for `stream` may be: its columns on a terminal (at most `max`), else 80 (a pipe, a log file). */
export function lineWidth(stream: { isTTY?: boolean; columns?: number } = process.stderr, max = Infinity): number {
  return stream.isTTY && stream.columns ? Math.min(stream.columns, max) : 80;
}
