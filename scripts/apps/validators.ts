/** Validators for app inputs. Each returns what is expected, or undefined when the value is fine. */
import { plural } from '../lib/wording.ts';

/** A calendar date written YYYY-MM-DD that exists (2026-02-30 does not). */
export function isoDate(value: string): string | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!match) return 'a date written YYYY-MM-DD, e.g. 2026-01-01';
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) {
    return 'a real calendar date written YYYY-MM-DD';
  }
  return undefined;
}

/** A decimal number within [min, max], written with a dot (40.7128, -74.006). */
export function numberInRange(min: number, max: number): (value: string) => string | undefined {
  return (value) => {
    if (!/^[-+]?\d+(\.\d+)?$/.test(value.trim()))
      return `a decimal number between ${min} and ${max}, written with a dot`;
    const number = Number(value);
    return number >= min && number <= max ? undefined : `a number between ${min} and ${max}`;
  };
}

export function nonEmpty(value: string): string | undefined {
  return value.trim() === '' ? 'a non-empty value' : undefined;
}

/** At least `length` characters: secrets such as JWT keys must not be guessable. */
export function minLength(length: number): (value: string) => string | undefined {
  return (value) => (value.length >= length ? undefined : `at least ${plural(length, 'character')}`);
}
