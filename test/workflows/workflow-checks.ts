/**
 * deckhand's own checks of its GitHub Actions workflows: the hardening rules of issue 16 (item 4), each a function
 * from one parsed workflow to the problems it finds (empty = passes). The tests run every check on the real files and
 * on a deliberately broken copy, so a check that can no longer fail is noticed.
 *
 * Workflows are parsed with the `yaml` package; the Document is kept beside the plain data because the version of a
 * pinned action lives in a YAML comment (`uses: owner/repo@<sha> # v1.2.3`), which plain data drops.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { isScalar, parseDocument, visit, type Document } from 'yaml';

export const REPO_ROOT = path.resolve(import.meta.dirname, '../..');
export const WORKFLOWS_DIR = path.join(REPO_ROOT, '.github', 'workflows');

export interface Step {
  name?: string;
  id?: string;
  uses?: string;
  run?: string;
  if?: string | boolean;
  with?: Record<string, unknown>;
  env?: Record<string, unknown>;
}

export interface Job {
  'runs-on'?: unknown;
  'timeout-minutes'?: unknown;
  permissions?: unknown;
  environment?: unknown;
  concurrency?: unknown;
  env?: Record<string, unknown>;
  uses?: string;
  steps?: Step[];
}

export interface Workflow {
  /** File name, e.g. `ci.yml` (or a label for a test's own text). */
  file: string;
  text: string;
  document: Document;
  on: unknown;
  permissions?: unknown;
  concurrency?: unknown;
  env?: Record<string, unknown>;
  jobs: Record<string, Job>;
}

export function parseWorkflow(text: string, file: string): Workflow {
  const document = parseDocument(text);
  if (document.errors.length > 0)
    throw new Error(`${file}: ${document.errors.map((error) => error.message).join('; ')}`);
  const data = document.toJS() as Record<string, unknown>;
  return {
    file,
    text,
    document,
    on: data.on,
    permissions: data.permissions,
    concurrency: data.concurrency,
    env: data.env as Workflow['env'],
    jobs: (data.jobs ?? {}) as Record<string, Job>,
  };
}

/** Every workflow of the repository (.yml and .yaml), by file name. */
export function loadWorkflows(dir = WORKFLOWS_DIR): Workflow[] {
  return readdirSync(dir)
    .filter((name) => /\.ya?ml$/.test(name))
    .sort()
    .map((name) => parseWorkflow(readFileSync(path.join(dir, name), 'utf8'), name));
}

export type Check = (workflow: Workflow) => string[];

// ─── Helpers ──────────────────────────────────────────────────────────────────────────────────────────────────

function jobsOf(workflow: Workflow): [string, Job][] {
  return Object.entries(workflow.jobs);
}

function stepsOf(job: Job): Step[] {
  return job.steps ?? [];
}

function where(workflow: Workflow, jobId: string, step?: Step, index?: number): string {
  return `${workflow.file}: job ${jobId}${step ? `, step ${JSON.stringify(step.name ?? step.id ?? step.uses ?? `#${(index ?? 0) + 1}`)}` : ''}`;
}

/** The action a `uses:` names, without its ref: `actions/checkout`. */
export function actionName(uses: string): string {
  return uses.split('@')[0]!;
}

function usesAction(step: Step, name: string): boolean {
  return step.uses !== undefined && actionName(step.uses).toLowerCase() === name;
}

const SECRET_REFERENCE = /\bsecrets\.([A-Za-z_][A-Za-z0-9_]*)/g;

function secretsIn(value: unknown): string[] {
  return [...JSON.stringify(value ?? null).matchAll(SECRET_REFERENCE)].map((match) => match[1]!);
}

/** A job that changes the cluster: it runs the toolkit's deploy or uninstall. */
export function isDeployJob(job: Job): boolean {
  return stepsOf(job).some((step) => /\btasks\.ts\s+(deploy|uninstall)\b/.test(step.run ?? ''));
}

function isAlways(condition: Step['if']): boolean {
  return typeof condition === 'string' && /^\s*(\$\{\{\s*)?always\(\)(\s*\}\})?\s*$/.test(condition);
}

// ─── Item 4: the checks ───────────────────────────────────────────────────────────────────────────────────────

/** Every third-party action is pinned by a full 40-hex commit SHA, with its version in a comment (`# v1.2.3`). */
export const pinnedActions: Check = (workflow) => {
  const problems: string[] = [];
  visit(workflow.document, {
    Pair(_, pair) {
      if (!isScalar(pair.key) || pair.key.value !== 'uses' || !isScalar(pair.value)) return;
      const uses = String(pair.value.value);
      if (uses.startsWith('./')) return;
      if (uses.startsWith('docker://')) {
        if (!/@sha256:[0-9a-f]{64}$/.test(uses)) problems.push(`${workflow.file}: ${uses} is not pinned by digest`);
        return;
      }
      if (!/^[\w.-]+\/[\w.-]+(\/[^@\s]+)?@[0-9a-f]{40}$/.test(uses))
        problems.push(`${workflow.file}: ${uses} is not pinned by a full commit SHA`);
      else if (!/^\s*v\d+\.\d+\.\d+\s*$/.test(pair.value.comment ?? ''))
        problems.push(`${workflow.file}: ${uses} has no "# vX.Y.Z" comment naming the version of that commit`);
    },
  });
  return problems;
};

/** Workflow-level permissions are none or read-only; each job names its own, `packages: write` only where it pushes. */
export const leastPrivilege: Check = (workflow) => {
  const problems: string[] = [];
  const readOnly = (permissions: unknown) =>
    permissions !== null &&
    typeof permissions === 'object' &&
    Object.values(permissions).every((level) => level === 'read' || level === 'none');
  if (!readOnly(workflow.permissions))
    problems.push(
      `${workflow.file}: top-level permissions must be {} or read-only (got ${JSON.stringify(workflow.permissions)})`,
    );
  for (const [id, job] of jobsOf(workflow)) {
    const permissions = job.permissions;
    if (permissions === null || typeof permissions !== 'object') {
      problems.push(`${where(workflow, id)}: no permissions map of its own (got ${JSON.stringify(permissions)})`);
      continue;
    }
    const pushes = stepsOf(job).some((step) => usesAction(step, 'docker/login-action'));
    for (const [scope, level] of Object.entries(permissions as Record<string, unknown>)) {
      if (level === 'read' || level === 'none') continue;
      if (scope === 'packages' && level === 'write' && pushes) continue;
      problems.push(
        `${where(workflow, id)}: ${scope}: ${String(level)} is more than it needs${scope === 'packages' ? ' (it does not log in to push)' : ''}`,
      );
    }
  }
  return problems;
};

/** A deploy job is in a concurrency group that never cancels a run in progress — not at job nor at workflow level. */
export const deploysNeverCancelled: Check = (workflow) => {
  const problems: string[] = [];
  const cancels = (concurrency: unknown) =>
    concurrency !== null &&
    typeof concurrency === 'object' &&
    (concurrency as Record<string, unknown>)['cancel-in-progress'] !== false;
  for (const [id, job] of jobsOf(workflow)) {
    if (!isDeployJob(job) && job.environment === undefined) continue;
    const concurrency = job.concurrency as Record<string, unknown> | undefined;
    if (
      !concurrency ||
      typeof concurrency !== 'object' ||
      typeof concurrency.group !== 'string' ||
      concurrency.group === ''
    ) {
      problems.push(`${where(workflow, id)}: a deploy job needs a concurrency group (one deploy at a time)`);
    } else if (concurrency['cancel-in-progress'] !== false) {
      problems.push(
        `${where(workflow, id)}: its concurrency group must say cancel-in-progress: false (a cancelled deploy is left half done)`,
      );
    }
    if (
      workflow.concurrency !== undefined &&
      (typeof workflow.concurrency === 'string' || cancels(workflow.concurrency))
    ) {
      problems.push(`${workflow.file}: the workflow-level concurrency could cancel the deploy job ${id}`);
    }
  }
  return problems;
};

/** Every job has a timeout (GitHub's default is 6 hours of a stuck runner). */
export const jobTimeouts: Check = (workflow) =>
  jobsOf(workflow)
    .filter(([, job]) => job.uses === undefined)
    .filter(
      ([, job]) =>
        typeof job['timeout-minutes'] !== 'number' || job['timeout-minutes'] <= 0 || job['timeout-minutes'] > 120,
    )
    .map(
      ([id, job]) =>
        `${where(workflow, id)}: timeout-minutes must be a number from 1 to 120 (got ${JSON.stringify(job['timeout-minutes'])})`,
    );

/** A job that deploys, or that reads any secret beyond the job token, runs in the protected production environment. */
export const productionEnvironment: Check = (workflow) => {
  const problems: string[] = [];
  for (const [id, job] of jobsOf(workflow)) {
    const secrets = secretsIn(job).filter((name) => name !== 'GITHUB_TOKEN');
    if (!isDeployJob(job) && secrets.length === 0) continue;
    const environment =
      typeof job.environment === 'object' && job.environment !== null
        ? (job.environment as { name?: unknown }).name
        : job.environment;
    if (environment !== 'production')
      problems.push(
        `${where(workflow, id)}: deploys or reads secrets (${secrets.join(', ') || 'none'}) outside the production environment (got ${JSON.stringify(job.environment)})`,
      );
  }
  return problems;
};

/** No `${{ … }}` inside a `run:` script: inputs, secrets and step outputs reach the shell through `env:`. */
export const noExpressionsInRun: Check = (workflow) =>
  jobsOf(workflow).flatMap(([id, job]) =>
    stepsOf(job).flatMap((step, index) =>
      /\$\{\{/.test(step.run ?? '')
        ? [`${where(workflow, id, step, index)}: an expression inside run: (pass it through env:)`]
        : [],
    ),
  );

/**
 * KUBE_CONFIG reaches only the step that writes it with .github/scripts/runner-kubeconfig.sh (0600, in RUNNER_TEMP; tested
 * on its own), and an `if: always()` step removes it after every step that uses it, so a failed deploy removes it too.
 */
export const kubeconfigLifecycle: Check = (workflow) => {
  const problems: string[] = [];
  for (const [id, job] of jobsOf(workflow)) {
    if (secretsIn({ env: job.env, with: stepsOf(job).map((step) => step.with) }).includes('KUBE_CONFIG'))
      problems.push(`${where(workflow, id)}: KUBE_CONFIG may only be a step's env`);
    const steps = stepsOf(job);
    const writers = steps
      .map((step, index) => ({ step, index }))
      .filter(({ step }) => secretsIn(step.env).includes('KUBE_CONFIG'));
    if (writers.length === 0) {
      if (isDeployJob(job))
        problems.push(`${where(workflow, id)}: deploys without a kubeconfig from the KUBE_CONFIG secret`);
      continue;
    }
    for (const { step, index } of writers) {
      if ((step.run ?? '').trim() !== 'bash .github/scripts/runner-kubeconfig.sh write')
        problems.push(
          `${where(workflow, id, step, index)}: KUBE_CONFIG must go to "bash .github/scripts/runner-kubeconfig.sh write" and nothing else`,
        );
    }
    const lastUse = Math.max(
      ...steps.map((step, index) => (/\$KUBECONFIG|\$\{KUBECONFIG\}/.test(step.run ?? '') ? index : -1)),
    );
    const removal = steps.findIndex(
      (step) => (step.run ?? '').trim() === 'bash .github/scripts/runner-kubeconfig.sh remove',
    );
    if (removal === -1)
      problems.push(
        `${where(workflow, id)}: nothing removes the kubeconfig (bash .github/scripts/runner-kubeconfig.sh remove)`,
      );
    else if (!isAlways(steps[removal]!.if))
      problems.push(
        `${where(workflow, id)}: the kubeconfig removal must run with if: always(), so a failure removes it too`,
      );
    else if (removal < lastUse)
      problems.push(`${where(workflow, id)}: the kubeconfig is removed before a step that still uses it`);
  }
  return problems;
};

const TRACE = /(^|[\s;&|(])(set\s+-[a-wyz]*x|set\s+-o\s+xtrace|bash\s+-[a-wyz]*x)/m;

/** A shell script without its full-line comments (which may well say "no set -x here"). */
function withoutComments(script: string): string {
  return script
    .split('\n')
    .filter((line) => !line.trimStart().startsWith('#'))
    .join('\n');
}

/**
 * No secret is echoed: no shell tracing in any script, a secret only ever in one step's env (never the workflow's or
 * the job's, never toJSON(secrets)), and no line that echoes a secret's variable to the log.
 */
export const noSecretEcho: Check = (workflow) => {
  const problems: string[] = [];
  if (secretsIn(workflow.env).length > 0)
    problems.push(`${workflow.file}: secrets in the workflow-level env reach every step`);
  if (/toJSON\(\s*secrets\s*\)|secrets:\s*inherit/i.test(workflow.text))
    problems.push(`${workflow.file}: passes all secrets at once`);
  for (const [id, job] of jobsOf(workflow)) {
    if (secretsIn(job.env).length > 0)
      problems.push(`${where(workflow, id)}: secrets in the job-level env reach every step`);
    stepsOf(job).forEach((step, index) => {
      const run = step.run ?? '';
      const scripts = [
        run,
        ...[...run.matchAll(/\.github\/scripts\/[\w.-]+\.sh/g)].map((match) =>
          readFileSync(path.join(REPO_ROOT, match[0]), 'utf8'),
        ),
      ];
      if (scripts.some((script) => TRACE.test(withoutComments(script))))
        problems.push(`${where(workflow, id, step, index)}: shell tracing (set -x) would print secrets`);
      const secretVars = Object.entries(step.env ?? {})
        .filter(([, value]) => secretsIn(value).length > 0)
        .map(([name]) => name);
      for (const line of run.split('\n')) {
        const echoes = /(^|[\s;&|(])(echo|printf)\b/.test(line) && !/[>|]/.test(line);
        const named = secretVars.find((name) => new RegExp(`\\$\\{?${name}\\b`).test(line));
        if (echoes && named)
          problems.push(`${where(workflow, id, step, index)}: prints the secret ${named}: ${line.trim()}`);
      }
    });
  }
  return problems;
};

/** Jobs that run Node set it up from .nvmrc with actions/setup-node first (the runner's own Node is not pinned). */
export const nodeFromNvmrc: Check = (workflow) => {
  const problems: string[] = [];
  for (const [id, job] of jobsOf(workflow)) {
    const steps = stepsOf(job);
    const firstNode = steps.findIndex((step) => /(^|[\s;&|(])(npm|npx|node|tsx)\s|\.ci\/run/.test(step.run ?? ''));
    if (firstNode === -1) continue;
    const setup = steps.findIndex((step) => usesAction(step, 'actions/setup-node'));
    if (setup === -1 || setup > firstNode)
      problems.push(`${where(workflow, id)}: runs Node before (or without) actions/setup-node`);
    else if (steps[setup]!.with?.['node-version-file'] !== '.nvmrc')
      problems.push(`${where(workflow, id, steps[setup], setup)}: setup-node must read node-version-file: .nvmrc`);
  }
  return problems;
};

/** GHCR login only through docker/login-action with the job token; that token never reaches a script's env. */
export const ghcrLoginWithJobToken: Check = (workflow) => {
  const problems: string[] = [];
  for (const [id, job] of jobsOf(workflow)) {
    stepsOf(job).forEach((step, index) => {
      const at = where(workflow, id, step, index);
      if (/\bdocker\s+login\b/.test(step.run ?? ''))
        problems.push(`${at}: logs in with docker login in a script (use docker/login-action)`);
      if (/secrets\.GITHUB_TOKEN|github\.token/.test(JSON.stringify(step.env ?? {})))
        problems.push(`${at}: the job token is in a script's env`);
      if (!usesAction(step, 'docker/login-action')) return;
      const options = step.with ?? {};
      if (options.registry !== 'ghcr.io')
        problems.push(`${at}: registry must be ghcr.io (got ${JSON.stringify(options.registry)})`);
      if (options.username !== '${{ github.actor }}')
        problems.push(`${at}: username must be \${{ github.actor }} (got ${JSON.stringify(options.username)})`);
      if (options.password !== '${{ secrets.GITHUB_TOKEN }}')
        problems.push(
          `${at}: password must be the job token \${{ secrets.GITHUB_TOKEN }} (got ${JSON.stringify(options.password)})`,
        );
    });
  }
  return problems;
};

/** actions/checkout leaves no token in .git/config for later steps (or an uploaded workspace) to find. */
export const checkoutWithoutCredentials: Check = (workflow) =>
  jobsOf(workflow).flatMap(([id, job]) =>
    stepsOf(job).flatMap((step, index) =>
      usesAction(step, 'actions/checkout') && step.with?.['persist-credentials'] !== false
        ? [`${where(workflow, id, step, index)}: checkout needs persist-credentials: false`]
        : [],
    ),
  );

/** No trigger that runs a fork's code with this repository's secrets. */
export const noDangerousTriggers: Check = (workflow) => {
  const triggers =
    typeof workflow.on === 'string'
      ? [workflow.on]
      : Array.isArray(workflow.on)
        ? workflow.on.map(String)
        : Object.keys((workflow.on ?? {}) as object);
  return triggers
    .filter((trigger) => trigger === 'pull_request_target' || trigger === 'workflow_run')
    .map((trigger) => `${workflow.file}: the ${trigger} trigger runs with this repository's secrets`);
};

/** A job that builds through the toolkit sets up buildx first (deckhand then builds for linux/amd64 and pushes in one step). */
export const buildxBeforeDeploy: Check = (workflow) =>
  jobsOf(workflow).flatMap(([id, job]) => {
    const steps = stepsOf(job);
    const deploy = steps.findIndex((step) => /\btasks\.ts\s+deploy\b/.test(step.run ?? ''));
    if (deploy === -1) return [];
    const buildx = steps.findIndex((step) => usesAction(step, 'docker/setup-buildx-action'));
    const login = steps.findIndex((step) => usesAction(step, 'docker/login-action'));
    return buildx === -1 || buildx > deploy || login === -1 || login > deploy
      ? [`${where(workflow, id)}: deploys without docker/setup-buildx-action and docker/login-action before it`]
      : [];
  });

export const CHECKS: Readonly<Record<string, Check>> = {
  pinnedActions,
  leastPrivilege,
  deploysNeverCancelled,
  jobTimeouts,
  productionEnvironment,
  noExpressionsInRun,
  kubeconfigLifecycle,
  noSecretEcho,
  nodeFromNvmrc,
  ghcrLoginWithJobToken,
  checkoutWithoutCredentials,
  noDangerousTriggers,
  buildxBeforeDeploy,
};

/**
 * The repository files the workflows run (.github/scripts/*, .ci/run) are not git-ignored: an ignored script works in
 * the work tree where it was written and is missing from every checkout (.gitignore ignores kubeconfig*, for one).
 */
export function ignoredScripts(workflows: readonly Workflow[]): string[] {
  const referenced = new Set(
    workflows.flatMap((workflow) =>
      Object.values(workflow.jobs).flatMap((job) =>
        stepsOf(job).flatMap((step) =>
          [...(step.run ?? '').matchAll(/(?:\.github\/scripts\/[\w.-]+|\.ci\/run)\b/g)].map((match) => match[0]),
        ),
      ),
    ),
  );
  return [...referenced]
    .filter(
      (file) => spawnSync('git', ['check-ignore', '--quiet', '--no-index', file], { cwd: REPO_ROOT }).status === 0,
    )
    .map((file) => `${file} is git-ignored: a checkout will not have it`);
}

/** The same action is pinned to the same commit and version everywhere (a bump that missed one file shows here). */
export function consistentPins(workflows: readonly Workflow[]): string[] {
  const seen = new Map<string, { pin: string; file: string }>();
  const problems: string[] = [];
  for (const workflow of workflows) {
    visit(workflow.document, {
      Pair(_, pair) {
        if (!isScalar(pair.key) || pair.key.value !== 'uses' || !isScalar(pair.value)) return;
        const uses = String(pair.value.value);
        if (uses.startsWith('./') || uses.startsWith('docker://')) return;
        const pin = `${uses.split('@')[1]} #${pair.value.comment ?? ''}`;
        const earlier = seen.get(actionName(uses));
        if (!earlier) seen.set(actionName(uses), { pin, file: workflow.file });
        else if (earlier.pin !== pin)
          problems.push(`${actionName(uses)}: ${workflow.file} pins ${pin}, ${earlier.file} pins ${earlier.pin}`);
      },
    });
  }
  return problems;
}
