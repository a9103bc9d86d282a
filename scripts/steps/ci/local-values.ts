/**
 * Where deckhand finds, on this machine, the value of each secret the workflows use — without printing it. Every
 * value found is registered with the masker the moment it is read, so nothing printed afterwards can contain it.
 *
 * - KUBE_CONFIG: the managed cluster's kubeconfig (.deckhand/cluster.json, written by `tasks.ts kubeconfig`); a
 *   --kubeconfig given on this command line wins, and KUBECONFIG (environment, .env) comes after it. Only the one
 *   context goes to GitHub, self-contained (`kubectl config view --minify --flatten --raw`), base64-encoded as the
 *   workflows expect (.github/scripts/runner-kubeconfig.sh decodes it). ~/.kube/config is never taken by default:
 *   it often holds other clusters' credentials.
 * - An app input (LATITUDE, JWT_SECRET, …): from the app registry, as deploy reads it — environment, then the app's
 *   env file, then .env — and checked with the app's own validator, so a wrong value is not uploaded.
 * - A token from the configuration (REGISTRY_PULL_TOKEN): environment, then .env.
 */
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { APPS, type AppDefinition, type AppInput } from '../../apps/index.ts';
import { readAppInputs, type InputSource } from '../../apps/inputs.ts';
import * as kubectl from '../../kubectl.ts';
import { readManagedCluster } from '../../lib/cluster-state.ts';
import { CONFIG_KEYS, type Config } from '../../lib/config.ts';
import { ToolMissingError } from '../../lib/errors.ts';
import { deckhand } from '../../lib/hints.ts';
import type { SecretMasker } from '../../lib/redact.ts';
import type { Runner } from '../../lib/shell.ts';
import { kubeconfigSecrets } from '../infra/kubeconfig-file.ts';

export type LocalValue =
  | { status: 'found'; value: string; source: string }
  | { status: 'invalid'; source: string; problem: string; howToProvide: string }
  | { status: 'missing'; howToProvide: string; reason?: string };

export interface LocalValueContext {
  config: Config;
  masker: SecretMasker;
  shell: Runner;
  /** Given on this command line (an explicit --kubeconfig wins over the managed cluster). */
  flags: { kubeconfig?: string; context?: string };
}

export const KUBE_CONFIG = 'KUBE_CONFIG';

/** The local value of each named secret, by name. */
export async function findLocalValues(
  ctx: LocalValueContext,
  names: readonly string[],
): Promise<Map<string, LocalValue>> {
  const inputsByApp = new Map<AppDefinition, ReturnType<typeof readAppInputs>>();
  const values = new Map<string, LocalValue>();
  for (const name of names) {
    const value = name === KUBE_CONFIG ? await kubeconfigValue(ctx) : fromAppsOrConfig(ctx, name, inputsByApp);
    if (value.status === 'found') ctx.masker.add(value.value);
    values.set(name, value);
  }
  return values;
}

/** Which kubeconfig and context KUBE_CONFIG is made from, and why that one. */
export interface KubeconfigChoice {
  file: string;
  context?: string;
  source: string;
}

export function chooseKubeconfig(ctx: LocalValueContext): KubeconfigChoice | undefined {
  if (ctx.flags.kubeconfig)
    return { file: absolute(ctx.config.kube.kubeconfig!), context: ctx.config.kube.context, source: '--kubeconfig' };
  const managed = readManagedCluster(ctx.config.stateRoot);
  if (managed) {
    return {
      file: managed.kubeconfig,
      context: ctx.config.kube.context ?? managed.context,
      source: `the managed cluster "${managed.label}"`,
    };
  }
  if (ctx.config.kube.kubeconfig)
    return { file: absolute(ctx.config.kube.kubeconfig), context: ctx.config.kube.context, source: 'KUBECONFIG' };
  return undefined;
}

function absolute(file: string): string {
  return path.resolve(file.replace(/^~(?=\/|$)/, os.homedir()));
}

const KUBECONFIG_HOW = `run \`${deckhand('kubeconfig')}\` (downloads the cluster's kubeconfig and records it as the managed cluster), or pass --kubeconfig FILE`;

async function kubeconfigValue(ctx: LocalValueContext): Promise<LocalValue> {
  const choice = chooseKubeconfig(ctx);
  if (!choice) return { status: 'missing', howToProvide: KUBECONFIG_HOW, reason: 'no managed cluster or KUBECONFIG' };
  if (!existsSync(choice.file))
    return { status: 'missing', howToProvide: KUBECONFIG_HOW, reason: `no file at ${choice.file} (${choice.source})` };
  const source = `${choice.source}: ${choice.file}${choice.context ? `, context ${choice.context}` : ''}`;
  const kubectlMissing: LocalValue = {
    status: 'missing',
    howToProvide: 'install kubectl (https://kubernetes.io/docs/tasks/tools/), then run again',
    reason: `kubectl, which takes the one context out of ${choice.file}, is not installed`,
  };
  let result;
  try {
    result = await ctx.shell.run(kubectl.configViewMinifiedArgs(choice.file, choice.context), {
      kind: 'read',
      nothrow: true,
      timeoutMs: 20_000,
    });
  } catch (error) {
    if (error instanceof ToolMissingError) return kubectlMissing;
    throw error;
  }
  // A runner that reports a missing program by bash's exit code (a fake in unit tests) means the same.
  if (result.exitCode === 127) return kubectlMissing;
  if (result.exitCode !== 0 || !/^clusters:/m.test(result.stdout)) {
    const said = ctx.masker.mask((result.stderr || result.stdout).trim().split('\n').pop() ?? '');
    return {
      status: 'invalid',
      source,
      problem: `kubectl could not read it${said ? `: ${said}` : ''}`,
      howToProvide: `pass --context NAME (a context in ${choice.file}), or --kubeconfig with another file`,
    };
  }
  for (const credential of kubeconfigSecrets(result.stdout)) ctx.masker.add(credential);
  return { status: 'found', value: Buffer.from(result.stdout, 'utf8').toString('base64'), source };
}

const SOURCE_NAMES: Record<Exclude<InputSource, 'prompt'>, (app: AppDefinition) => string> = {
  environment: () => 'the environment',
  'env file': (app) => app.secret.envFile,
  '.env': () => '.env',
};

function fromAppsOrConfig(
  ctx: LocalValueContext,
  name: string,
  inputsByApp: Map<AppDefinition, ReturnType<typeof readAppInputs>>,
): LocalValue {
  const app = APPS.find((candidate) => candidate.secret.inputs.some((input) => input.key === name));
  if (app) {
    const input = app.secret.inputs.find((candidate) => candidate.key === name)!;
    if (!inputsByApp.has(app)) inputsByApp.set(app, readAppInputs(app, ctx.config, ctx.masker));
    const read = inputsByApp.get(app)!;
    const value = read.values[name];
    const howToProvide = appInputHow(app, input);
    if (value === undefined) return { status: 'missing', howToProvide };
    const source = SOURCE_NAMES[read.sources[name] as Exclude<InputSource, 'prompt'>](app);
    const expected = input.validate?.(value);
    if (expected) return { status: 'invalid', source, problem: `expected ${expected}`, howToProvide };
    return { status: 'found', value, source };
  }
  const key = CONFIG_KEYS.find((candidate) => candidate.key === name && candidate.secret);
  if (key) {
    const howToProvide = `set ${name} in .env or the environment (${firstSentence(key.description)})`;
    const fromEnvironment = ctx.config.realEnv[name]?.trim();
    const fromDotenv = ctx.config.dotenv[name]?.trim();
    const [source, value] = fromEnvironment ? ['the environment', fromEnvironment] : ['.env', fromDotenv];
    if (!value) return { status: 'missing', howToProvide };
    const expected = key.validate?.(value);
    if (expected) return { status: 'invalid', source, problem: `expected ${expected}`, howToProvide };
    return { status: 'found', value, source };
  }
  return {
    status: 'missing',
    howToProvide: 'deckhand does not keep this value: set it by hand (the command is below)',
  };
}

function appInputHow(app: AppDefinition, input: AppInput): string {
  // Some examples are the command that makes a good value (`openssl rand -hex 32`).
  const example = input.example.includes(' ') ? `the output of \`${input.example}\`` : `${input.key}=${input.example}`;
  return `set ${input.key} in ${app.secret.envFile} or the environment (${input.description}; e.g. ${example})`;
}

function firstSentence(text: string): string {
  return (/^[^.]*[^.\s]/.exec(text)?.[0] ?? text).replace(/\s+/g, ' ');
}
