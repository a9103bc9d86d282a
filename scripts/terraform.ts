/**
 * terraform, wrapped: pure argv builders, thin runners, and readers for terraform's machine-readable output
 * (`terraform show -json <plan>` and `terraform output -json`).
 *
 * - Every call runs in the configuration folder (the runner's `cwd`), with `-no-color` and `-input=false` where the
 *   command takes it, and with TF_IN_AUTOMATION=1 / TF_INPUT=0 so terraform never stops to ask a question nobody
 *   can answer.
 * - The Linode token reaches terraform only as TF_VAR_linode_token in its environment: argv is visible to every user
 *   of the machine (`ps`) and lands in shell history and CI logs.
 * - `apply` only ever applies a saved plan file, so what runs is exactly what was shown and confirmed.
 */
import { chmodSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DeckhandError, ToolMissingError } from './lib/errors.ts';
import type { CostInput } from './lib/prices.ts';
import { commandFailure, type RunOptions, type RunResult, type Runner } from './lib/shell.ts';
import { deckhand } from './lib/hints.ts';

export const INSTALL_HINT =
  'Install Terraform >= 1.9 (https://developer.hashicorp.com/terraform/install), then run again.';
export const PLAN_TIMEOUT_MS = 15 * 60_000;
/** LKE creation alone may take the provider 35 minutes (its own create timeout). */
export const APPLY_TIMEOUT_MS = 60 * 60_000;
export const INIT_TIMEOUT_MS = 10 * 60_000;

/** Where and how terraform runs. */
export interface TerraformSession {
  /** The configuration folder (terraform/). */
  dir: string;
  /** The Linode token, passed as TF_VAR_linode_token. Not needed for `output`. */
  token?: string;
}

export function terraformEnv(token?: string): Record<string, string> {
  return { TF_IN_AUTOMATION: '1', TF_INPUT: '0', ...(token ? { TF_VAR_linode_token: token } : {}) };
}

export function versionArgs(): string[] {
  return ['terraform', 'version', '-json'];
}

/** `1.11.4` from `terraform version -json`. */
export function parseVersion(stdout: string): string {
  return (JSON.parse(stdout) as { terraform_version: string }).terraform_version;
}

export function initArgs(): string[] {
  return ['terraform', 'init', '-input=false', '-no-color'];
}

export function planArgs(planFile: string, options: { destroy?: boolean } = {}): string[] {
  return ['terraform', 'plan', '-input=false', '-no-color', ...(options.destroy ? ['-destroy'] : []), '-out', planFile];
}

export function showPlanArgs(planFile: string): string[] {
  return ['terraform', 'show', '-json', '-no-color', planFile];
}

/** Applying a saved plan needs no approval flag: terraform applies exactly the plan and asks nothing. */
export function applyArgs(planFile: string): string[] {
  return ['terraform', 'apply', '-input=false', '-no-color', planFile];
}

export function outputArgs(): string[] {
  return ['terraform', 'output', '-json', '-no-color'];
}

/**
 * `init` has completed here: it installs the providers under `.terraform/providers/`. A bare `.terraform/` can be
 * left behind by an init that failed half-way.
 */
export function isInitialized(dir: string): boolean {
  return existsSync(path.join(dir, '.terraform', 'providers'));
}

/** terraform's way of saying the folder needs `init` again (new provider, changed backend or lock file). */
export function needsInit(output: string): boolean {
  return /Backend initialization required|Inconsistent dependency lock file|Missing required provider|please run "terraform init"|Required plugins are not installed|Module not installed/i.test(
    output,
  );
}

export function hasConfiguration(dir: string): boolean {
  try {
    return readdirSync(dir).some((name) => name.endsWith('.tf'));
  } catch {
    return false;
  }
}

/** Runs terraform; a missing binary and failures become errors that say what to do. */
async function run(
  shell: Runner,
  session: TerraformSession,
  argv: string[],
  options: Omit<RunOptions, 'cwd' | 'env' | 'nothrow'> & { failureHint?: (output: string) => string | undefined },
): Promise<RunResult> {
  const { failureHint, ...runOptions } = options;
  const result = await shell
    .run(argv, { ...runOptions, cwd: session.dir, env: terraformEnv(session.token), nothrow: true })
    .catch((error: unknown) => {
      if (error instanceof ToolMissingError)
        throw new DeckhandError('terraform is not installed (or not on PATH).', INSTALL_HINT);
      throw error;
    });
  if (result.exitCode !== 0)
    throw commandFailure(shell, result, failureHint?.(`${result.stderr}\n${result.stdout}`) ?? options.hint);
  return result;
}

export async function init(shell: Runner, session: TerraformSession, onLine?: (line: string) => void): Promise<void> {
  await run(shell, session, initArgs(), {
    kind: 'read',
    timeoutMs: INIT_TIMEOUT_MS,
    onStdoutLine: onLine,
    hint: 'terraform init downloads the providers from registry.terraform.io: check the network, or the backend settings if you configured one.',
  });
}

/**
 * Writes a plan to `planFile`. The plan holds the variable values (the token among them), so the file is created
 * 0600 before terraform writes into it (terraform truncates it in place and keeps the mode) and set 0600 again after.
 */
export async function plan(
  shell: Runner,
  session: TerraformSession,
  planFile: string,
  options: { destroy?: boolean; onLine?: (line: string) => void } = {},
): Promise<void> {
  mkdirSync(path.dirname(planFile), { recursive: true });
  writeFileSync(planFile, '', { mode: 0o600 });
  chmodSync(planFile, 0o600);
  try {
    await run(shell, session, planArgs(planFile, options), {
      kind: 'read',
      timeoutMs: PLAN_TIMEOUT_MS,
      onStdoutLine: options.onLine,
      failureHint: planFailureHint,
    });
  } catch (error) {
    rmSync(planFile, { force: true });
    throw error;
  }
  chmodSync(planFile, 0o600);
}

export function planFailureHint(output: string): string {
  if (/prevent_destroy/.test(output)) {
    return "The data volume is protected by lifecycle { prevent_destroy = true } in terraform/main.tf. To keep the volume and destroy the rest, run `terraform state rm 'linode_volume.data[0]'` in terraform/ first; to delete it too, remove that lifecycle block in a reviewed change.";
  }
  if (/\b401\b|Invalid Token/i.test(output))
    return 'The Linode API rejected the token: check LINODE_TOKEN (Kubernetes and Volumes read/write).';
  if (/Invalid value for variable/.test(output))
    return 'Fix the value in terraform/terraform.tfvars (see terraform.tfvars.example), then run again.';
  if (needsInit(output))
    return 'Run `terraform init -upgrade` in terraform/ (or delete terraform/.terraform and run again).';
  return 'Fix what terraform reports above (terraform/*.tf or terraform/terraform.tfvars), then run again.';
}

export async function showPlan(
  shell: Runner,
  session: TerraformSession,
  planFile: string,
): Promise<PlanRepresentation> {
  const result = await run(shell, session, showPlanArgs(planFile), { kind: 'read', timeoutMs: 2 * 60_000 });
  return JSON.parse(result.stdout) as PlanRepresentation;
}

/**
 * Ctrl-C does not stop an apply: killing terraform half-way (the runner's SIGKILL follows SIGTERM after a few
 * seconds) can leave a cluster created at Linode but missing from the state. The caller tells the user it is
 * finishing; a second Ctrl-C leaves it running in the background (it has its own process group).
 */
export async function apply(
  shell: Runner,
  session: TerraformSession,
  planFile: string,
  onLine?: (line: string) => void,
): Promise<RunResult> {
  return run(shell, session, applyArgs(planFile), {
    kind: 'write',
    timeoutMs: APPLY_TIMEOUT_MS,
    uninterruptible: true,
    onStdoutLine: onLine,
    failureHint: (output) =>
      /Saved plan is stale/i.test(output)
        ? `The infrastructure changed after this plan was made: run \`${deckhand('infra', 'plan')}\` again.`
        : `terraform stopped part-way; what was created is in the state. Fix the cause above and run \`${deckhand('infra', 'apply')}\` again: it continues from there.`,
  });
}

/** Every output, or `{}` when nothing has been applied yet. Sensitive values are included: never print them. */
export async function output(shell: Runner, session: TerraformSession): Promise<TerraformOutputs> {
  const result = await run(shell, session, outputArgs(), {
    kind: 'read',
    timeoutMs: 2 * 60_000,
    hint: `If a backend is configured, run \`${deckhand('infra', 'plan')}\` once so terraform is initialised.`,
  });
  const text = result.stdout.trim();
  return text ? (JSON.parse(text) as TerraformOutputs) : {};
}

// ─── terraform's JSON formats ──────────────────────────────────────────────────────────────────────────────────

export type ChangeAction = 'no-op' | 'create' | 'read' | 'update' | 'delete' | 'forget';

/** The parts of terraform's JSON plan representation (format_version 1.x) that deckhand reads. */
export interface PlanRepresentation {
  format_version: string;
  terraform_version?: string;
  resource_changes?: ResourceChange[];
}

export interface ResourceChange {
  address: string;
  mode?: 'managed' | 'data';
  type: string;
  name: string;
  change: {
    actions: ChangeAction[];
    before: Record<string, unknown> | null;
    after: Record<string, unknown> | null;
  };
}

/** `terraform output -json`: { name: { sensitive, type, value } }. */
export type TerraformOutputs = Record<string, { sensitive: boolean; type: unknown; value: unknown }>;

export type ChangeKind = 'create' | 'update' | 'replace' | 'delete';

export interface PlannedChange {
  address: string;
  kind: ChangeKind;
}

export interface PlanSummary {
  changes: PlannedChange[];
  /** Counted as terraform counts them: a replacement is one to add and one to destroy. */
  add: number;
  change: number;
  destroy: number;
}

export function summarizePlan(planJson: PlanRepresentation): PlanSummary {
  const changes: PlannedChange[] = [];
  for (const resource of planJson.resource_changes ?? []) {
    if (resource.mode === 'data') continue;
    const kind = changeKind(resource.change.actions);
    if (kind) changes.push({ address: resource.address, kind });
  }
  const count = (...kinds: ChangeKind[]) => changes.filter((change) => kinds.includes(change.kind)).length;
  return { changes, add: count('create', 'replace'), change: count('update'), destroy: count('delete', 'replace') };
}

function changeKind(actions: readonly ChangeAction[]): ChangeKind | undefined {
  if (actions.includes('create') && actions.includes('delete')) return 'replace';
  if (actions.includes('create')) return 'create';
  if (actions.includes('delete')) return 'delete';
  if (actions.includes('update')) return 'update';
  return undefined;
}

const SYMBOL: Record<ChangeKind, string> = { create: '+', update: '~', replace: '-/+', delete: '-' };
const VERB: Record<ChangeKind, string> = {
  create: 'create',
  update: 'update in place',
  replace: 'replace (destroy, then create)',
  delete: 'destroy',
};

export function hasChanges(summary: PlanSummary): boolean {
  return summary.changes.length > 0;
}

export function formatPlanSummary(summary: PlanSummary): string {
  if (!hasChanges(summary)) return 'No changes: the infrastructure already matches the configuration.';
  const width = Math.max(...summary.changes.map((change) => SYMBOL[change.kind].length));
  return [
    `Plan: ${summary.add} to add, ${summary.change} to change, ${summary.destroy} to destroy.`,
    ...summary.changes.map(
      (change) => `  ${SYMBOL[change.kind].padStart(width)} ${change.address}  (${VERB[change.kind]})`,
    ),
  ].join('\n');
}

/**
 * What the infrastructure will cost after the plan: the node pools, control plane and volumes of every cluster and
 * volume that exists afterwards (created, changed or untouched). Undefined when the plan has no cluster.
 */
export function costInputFromPlan(planJson: PlanRepresentation): CostInput | undefined {
  const remaining = (planJson.resource_changes ?? []).filter(
    (resource) =>
      resource.mode !== 'data' &&
      !resource.change.actions.every((action) => action === 'delete' || action === 'forget'),
  );
  const cluster = remaining.find((resource) => resource.type === 'linode_lke_cluster')?.change.after;
  if (!cluster) return undefined;
  const pools = asArray(cluster.pool);
  const firstPool = pools[0] ?? {};
  let minNodes = 0;
  let maxNodes = 0;
  for (const pool of pools) {
    const autoscaler = asArray(pool.autoscaler)[0];
    const count = typeof pool.count === 'number' ? pool.count : undefined;
    const min = typeof autoscaler?.min === 'number' ? autoscaler.min : (count ?? 1);
    const max = typeof autoscaler?.max === 'number' ? autoscaler.max : (count ?? min);
    minNodes += min;
    maxNodes += max;
  }
  const volumeGb = remaining
    .filter((resource) => resource.type === 'linode_volume')
    .reduce(
      (sum, resource) => sum + (typeof resource.change.after?.size === 'number' ? resource.change.after.size : 0),
      0,
    );
  return {
    nodeType: typeof firstPool.type === 'string' ? firstPool.type : 'unknown',
    minNodes,
    maxNodes,
    region: typeof cluster.region === 'string' ? cluster.region : undefined,
    volumeGb: volumeGb || undefined,
    highAvailability: asArray(cluster.control_plane)[0]?.high_availability === true,
  };
}

/** The label of the LKE cluster a destroy plan removes (what the user must type to confirm). */
export function clusterLabelDestroyedBy(planJson: PlanRepresentation): string | undefined {
  const cluster = (planJson.resource_changes ?? []).find(
    (resource) => resource.type === 'linode_lke_cluster' && resource.change.actions.includes('delete'),
  );
  const label = cluster?.change.before?.label;
  return typeof label === 'string' ? label : undefined;
}

/** Outputs for people: sensitive values are never shown, only named. */
export function formatOutputs(outputs: TerraformOutputs): string {
  const names = Object.keys(outputs).sort();
  if (names.length === 0) return `No outputs: nothing has been applied yet (run \`${deckhand('infra', 'apply')}\`).`;
  const width = Math.max(...names.map((name) => name.length));
  return names
    .map((name) => {
      const entry = outputs[name]!;
      const shown = entry.sensitive
        ? `(sensitive: not shown; \`${deckhand('kubeconfig')}\` uses it)`
        : entry.value === null
          ? '(none)'
          : typeof entry.value === 'string'
            ? entry.value
            : JSON.stringify(entry.value);
      return `${name.padEnd(width)}  ${shown}`;
    })
    .join('\n');
}

/** Outputs as JSON for scripts, with sensitive values left out. */
export function publicOutputs(outputs: TerraformOutputs): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(outputs)
      .filter(([, entry]) => !entry.sensitive)
      .map(([name, entry]) => [name, entry.value]),
  );
}

function asArray(value: unknown): Record<string, unknown>[] {
  return Array.isArray(value)
    ? (value.filter((item) => item && typeof item === 'object') as Record<string, unknown>[])
    : [];
}
