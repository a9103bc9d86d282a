/**
 * An app's inputs (the values of its Kubernetes Secret): from the environment, then the app's env file
 * (`.env.caelundas`), then `.env`, then — on a terminal only — a prompt (hidden for sensitive values). Everything is
 * validated before anything is created; off a terminal, every missing key is listed at once (exit 2).
 */
import path from 'node:path';
import type { AppDefinition, AppInput } from './index.ts';
import type { Config } from '../lib/config.ts';
import { readEnvFile } from '../lib/envfile.ts';
import { MissingInputError, ValidationError } from '../lib/errors.ts';
import type { Prompter } from '../lib/prompts.ts';
import type { SecretMasker } from '../lib/redact.ts';
import { noun, plural } from '../lib/wording.ts';

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
    const validate = (value: string) => {
      const expected = input.validate?.(value.trim());
      return expected ? `Expected ${expected}` : true;
    };
    const message = `${input.key} — ${input.description} (e.g. ${input.example})`;
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
  return { values, sources };
}
