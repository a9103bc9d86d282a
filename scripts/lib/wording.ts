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
