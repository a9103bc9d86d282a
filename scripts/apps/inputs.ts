/**
 * An app's inputs (the values of its Kubernetes Secret): from the environment, then the app's env file
 * (`.env.caelundas`), then `.env`, then — on a terminal only — a prompt (hidden for sensitive values). Everything is
 * validated before anything is created; off a terminal, every missing key is listed at once (exit 2).
 */
import path from 'node:path';
import type { AppDefinition, AppInput } from './index.ts';
import { CONFIG_KEYS, type Config } from '../lib/config.ts';
import { envFileKeyLines, envFileValue, readEnvFile, setEnvFileKeys } from '../lib/envfile.ts';
import { MissingInputError, ValidationError } from '../lib/errors.ts';
import type { Prompter } from '../lib/prompts.ts';
import type { SecretMasker } from '../lib/redact.ts';
import { closestKey } from '../lib/suggest.ts';
import { joinWords, noun, plural } from '../lib/wording.ts';

export type InputSource = 'environment' | 'env file' | '.env' | 'prompt';

export interface AppInputValues {
  values: Record<string, string>;
  sources: Record<string, InputSource>;
}

/** Reads what is already given, without prompting. Sensitive values are registered with the masker at once. */
export function readAppInputs(
  app: AppDefinition,
  config: Config,
  masker: SecretMasker,
): AppInputValues & { missing: AppInput[] } {
  const envFile = readEnvFile(path.join(config.envDir, app.secret.envFile));
  const values: Record<string, string> = {};
  const sources: Record<string, InputSource> = {};
  const missing: AppInput[] = [];
  for (const input of app.secret.inputs) {
    const candidates: [InputSource, string | undefined][] = [
      ['environment', config.realEnv[input.key]],
      ['env file', envFile[input.key]],
      ['.env', config.dotenv[input.key]],
    ];
    const found = candidates.find(([, value]) => value !== undefined && value.trim() !== '');
    if (!found) {
      missing.push(input);
      continue;
    }
    values[input.key] = found[1]!.trim();
    sources[input.key] = found[0];
    if (input.sensitive) masker.add(values[input.key]);
  }
  return { values, sources, missing };
}

/**
 * Advice about keys in `.env` and the apps' env files that deckhand never reads: a misspelt key (IMAGE_OWENR,
 * LONGTITUDE) is named with the key it most likely means, file:line, and a configuration key put in an app's file
 * (read only from `.env` or the environment) is named too. The run goes on: the rest of the file is fine.
 */
export function envFileWarnings(config: Pick<Config, 'envDir'>, apps: readonly AppDefinition[]): string[] {
  const configKeys = CONFIG_KEYS.map((spec) => spec.key);
  const inputKeys = (app: AppDefinition) => app.secret.inputs.map((input) => input.key);
  const files: { name: string; known: string[]; elsewhere: string[] }[] = [
    { name: '.env', known: [...configKeys, ...apps.flatMap(inputKeys)], elsewhere: [] },
    ...apps.map((app) => ({ name: app.secret.envFile, known: inputKeys(app), elsewhere: configKeys })),
  ];
  return files.flatMap(({ name, known, elsewhere }) => {
    const file = path.join(config.envDir, name);
    const shown = shownPath(file);
    return (envFileKeyLines(file) ?? []).flatMap(({ key, line }) => {
      if (known.includes(key)) return [];
      if (elsewhere.includes(key))
        return [`${shown}:${line}: ${key} is ignored here: it is read from .env or the environment.`];
      const meant = closestKey(key, [...known, ...elsewhere]);
      if (!meant) return [];
      const note = known.includes(meant) ? '' : ` (read from .env, not ${name})`;
      return [`${shown}:${line}: ${key} is ignored: did you mean ${meant}${note}?`];
    });
  });
}

/** Every problem with the given values, naming the key and what is expected (never a sensitive value). */
export function validateAppInputs(app: AppDefinition, values: Readonly<Record<string, string>>): string[] {
  const problems: string[] = [];
  for (const input of app.secret.inputs) {
    const value = values[input.key];
    if (value === undefined) continue;
    const expected = input.validate?.(value);
    if (expected) problems.push(`${input.key}: expected ${expected}${input.sensitive ? '' : `, got "${value}"`}`);
  }
  if (problems.length === 0 && app.secret.crossCheck) problems.push(...app.secret.crossCheck(values));
  return problems;
}

export function howToProvide(app: AppDefinition, input: AppInput): string {
  return `set ${input.key} in ${app.secret.envFile} or the environment (e.g. ${input.key}=${input.example}), or run on a terminal to be asked`;
}

/** Reads, prompts for what is missing (on a terminal), and validates. Throws before anything is created. */
export async function collectAppInputs(
  app: AppDefinition,
  config: Config,
  masker: SecretMasker,
  prompter: Prompter,
): Promise<AppInputValues> {
  const { values, sources, missing } = readAppInputs(app, config, masker);
  const problems = validateAppInputs(app, values);
  if (problems.length > 0) {
    throw new ValidationError(
      `The inputs of ${app.name} have problems:`,
      problems,
      `Fix them in ${app.secret.envFile} or the environment (see .env.example).`,
    );
  }
  if (missing.length > 0 && !prompter.interactive) {
    throw new MissingInputError(
      `${app.name} needs ${plural(missing.length, 'input')} that ${noun(missing.length, 'is', 'are')} not set (nothing was created):`,
      missing.map((input) => ({ name: input.key, howToProvide: howToProvide(app, input) })),
    );
  }
  for (const input of missing) {
    // Each answer is checked on its own and against the answers so far (END_DATE before START_DATE is refused as
    // END_DATE is typed), so the prompt asks again at once instead of failing after the last answer.
    const validate = (raw: string) => {
      const value = raw.trim();
      const expected = input.validate?.(value);
      if (expected) return `Expected ${expected}`;
      return crossProblemsOf(app, values, input.key, value)[0] ?? true;
    };
    // The example on a line of its own keeps the question and the typed answer within 80 columns.
    const message = `${input.key} — ${input.description}\n  (e.g. ${input.example})`;
    const context = { what: input.key, howToProvide: howToProvide(app, input) };
    const answer = input.sensitive
      ? await prompter.password({ message, validate }, context)
      : await prompter.input({ message, validate }, context);
    values[input.key] = answer.trim();
    sources[input.key] = 'prompt';
    if (input.sensitive) masker.add(values[input.key]);
  }
  const crossProblems = validateAppInputs(app, values);
  if (crossProblems.length > 0)
    throw new ValidationError(
      `The inputs of ${app.name} have problems:`,
      crossProblems,
      'Run again with corrected values.',
    );
  if (missing.length > 0 && !config.dryRun) await offerToSave(app, config, prompter, missing, values);
  return { values, sources };
}

/** The problems the app's cross-field check finds once `key` is `value` that it did not find before. */
function crossProblemsOf(
  app: AppDefinition,
  values: Readonly<Record<string, string>>,
  key: string,
  value: string,
): string[] {
  const crossCheck = app.secret.crossCheck;
  if (!crossCheck) return [];
  const before = new Set(crossCheck(values));
  return crossCheck({ ...values, [key]: value }).filter((problem) => !before.has(problem));
}

/**
 * After typed answers: offer (default no) to keep the non-sensitive ones in the app's env file for the next run.
 * Sensitive values are never written by deckhand; the question says which ones are left out.
 */
async function offerToSave(
  app: AppDefinition,
  config: Pick<Config, 'envDir'>,
  prompter: Prompter,
  typed: readonly AppInput[],
  values: Readonly<Record<string, string>>,
): Promise<void> {
  const savable = typed.filter((input) => !input.sensitive && envFileValue(values[input.key]!) !== undefined);
  if (savable.length === 0) return;
  const keys = savable.map((input) => input.key);
  const sensitive = typed.filter((input) => input.sensitive).map((input) => input.key);
  const file = path.join(config.envDir, app.secret.envFile);
  // Two short lines rather than one long one: the question fits 80 columns.
  const note =
    sensitive.length > 0
      ? `\n  (${joinWords(sensitive)} ${noun(sensitive.length, 'is', 'are')} sensitive: never saved.)`
      : '';
  const save = await prompter.confirm(
    { message: `Save ${joinWords(keys)} to ${app.secret.envFile} for the next run?${note}`, default: false },
    { what: 'whether to save the answers', howToProvide: `set them in ${app.secret.envFile}` },
  );
  if (!save) return;
  setEnvFileKeys(file, Object.fromEntries(keys.map((key) => [key, values[key]!])));
  prompter.tell?.(`Saved ${joinWords(keys)} to ${shownPath(file)} (mode 0600).`);
}

/** A file in the working folder by its relative name, any other by its full path. */
function shownPath(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative.startsWith('..') || path.isAbsolute(relative) ? file : relative;
}
