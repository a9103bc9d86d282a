/**
 * `infra plan | apply | destroy | output`: the LKE cluster's lifecycle through terraform, always in the same order —
 * observe (is terraform initialised?), plan into a file, show what the plan does and what it costs, ask, then apply
 * exactly that file. Nothing is applied without a confirmation (or --yes), and destroying asks for the cluster's
 * label to be typed, the way Cloud Manager does.
 */
import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import * as terraform from '../../terraform.ts';
import { checkPlanFile } from './plan-file.ts';
import { resolveToken } from './token.ts';
import { managedClusterFile, readManagedCluster } from '../../lib/cluster-state.ts';
import type { CommandContext } from '../../cli/context.ts';
import { CommandError, InterruptedError, UsageError } from '../../lib/errors.ts';
import { estimateMonthlyCost, formatCostEstimate } from '../../lib/prices.ts';
import { deckhand } from '../../lib/hints.ts';

export type InfraAction = 'plan' | 'apply' | 'destroy' | 'output';

/** Inside the configuration folder, where `*.tfplan` is git-ignored. */
export const DEFAULT_PLAN_FILE = 'deckhand.tfplan';

export interface InfraOptions {
  /** A plan file to write (plan) or to apply (apply, when it exists). */
  planFile?: string;
  json?: boolean;
  /** Runs once the destruction is confirmed, before it starts: e.g. the offer to dump databases first. */
  beforeDestroy?: () => Promise<void>;
}

export type InfraContext = Pick<CommandContext, 'config' | 'shell' | 'ui' | 'prompter' | 'masker'> & {
  interruption: Pick<CommandContext['interruption'], 'signal'>;
};

export async function runInfra(ctx: InfraContext, action: InfraAction, options: InfraOptions = {}): Promise<void> {
  const dir = ctx.config.terraformDir;
  if (!terraform.hasConfiguration(dir)) {
    throw new UsageError(
      `No terraform configuration (*.tf) in ${dir}.`,
      'Run deckhand from its project folder, or set DECKHAND_TERRAFORM_DIR to the folder holding the .tf files.',
    );
  }
  if (action === 'output') return showOutputs(ctx, dir, options);

  if (action !== 'plan') requireConfirmationPossible(ctx, action);
  const explicitPlanFile = options.planFile ? path.resolve(options.planFile) : undefined;
  const planFile = explicitPlanFile ?? path.join(dir, DEFAULT_PLAN_FILE);
  // apply reads an existing --plan-file and writes (plans into) any other; both are checked before terraform runs.
  const reusesSavedPlan = action === 'apply' && explicitPlanFile !== undefined && existsSync(explicitPlanFile);
  checkPlanFile(planFile, reusesSavedPlan ? 'apply' : 'write');

  const token = await resolveToken(ctx, 'terraform manages the cluster with it');
  const session: terraform.TerraformSession = { dir, token };
  await initIfNeeded(ctx, session);
  if (action === 'plan') {
    await makePlan(ctx, session, planFile, { destroy: false });
    ctx.ui.info(`Saved the plan to ${planFile} (mode 0600; it holds variable values, the token among them).`);
    const shown = path.relative(process.cwd(), planFile);
    ctx.ui.info(
      `Apply exactly this plan with: ${deckhand('infra', 'apply', '--plan-file', shown.startsWith('..') || path.isAbsolute(shown) ? planFile : shown)}`,
    );
    return;
  }
  if (action === 'apply') return applyChanges(ctx, session, planFile, reusesSavedPlan);
  return destroyAll(ctx, session, planFile, options.beforeDestroy);
}

/**
 * Off a terminal nobody can confirm, so a change needs --yes; refusing before terraform runs means nothing is
 * planned (or locked) in vain.
 */
function requireConfirmationPossible(ctx: InfraContext, action: InfraAction): void {
  if (ctx.config.dryRun || ctx.config.yes || ctx.prompter.interactive) return;
  throw new UsageError(
    `\`infra ${action}\` changes real infrastructure and needs a confirmation, but nobody is at a terminal to give it.`,
    action === 'destroy'
      ? 'Run it on a terminal (you will be asked to type the cluster label), or pass --yes if destroying the cluster unattended is really intended.'
      : `Review a plan with \`${deckhand('infra', 'plan', '--plan-file', 'reviewed.tfplan')}\`, then apply exactly that plan with \`${deckhand('infra', 'apply', '--plan-file', 'reviewed.tfplan', '--yes')}\` (or run it on a terminal to be asked).`,
  );
}

async function initIfNeeded(ctx: InfraContext, session: terraform.TerraformSession): Promise<void> {
  if (terraform.isInitialized(session.dir)) return;
  ctx.ui.info(`Initialise terraform in ${session.dir} (first run here: downloads the providers).`);
  await terraform.init(ctx.shell, session, ctx.config.verbose ? terraformLog(ctx) : undefined);
}

interface ReviewedPlan {
  planJson: terraform.PlanRepresentation;
  summary: terraform.PlanSummary;
}

async function makePlan(
  ctx: InfraContext,
  session: terraform.TerraformSession,
  planFile: string,
  options: { destroy: boolean },
): Promise<ReviewedPlan> {
  ctx.ui.info(options.destroy ? 'Plan the destruction of everything terraform manages.' : 'Plan the changes.');
  const planOnce = () =>
    terraform.plan(ctx.shell, session, planFile, {
      destroy: options.destroy,
      onLine: ctx.config.verbose ? terraformLog(ctx) : undefined,
    });
  try {
    await planOnce();
  } catch (error) {
    // The folder was initialised before a provider, the backend or the lock file changed: init again, once.
    if (!(error instanceof CommandError) || !terraform.needsInit(error.stderrTail)) throw error;
    ctx.ui.info('terraform needs `init` again (the providers, backend or lock file changed).');
    await terraform.init(ctx.shell, session, ctx.config.verbose ? terraformLog(ctx) : undefined);
    await planOnce();
  }
  return review(ctx, session, planFile, { showCost: !options.destroy });
}

/** Reads the plan back as JSON and prints what it does (and, for a build, what it costs). */
async function review(
  ctx: InfraContext,
  session: terraform.TerraformSession,
  planFile: string,
  options: { showCost: boolean },
): Promise<ReviewedPlan> {
  const planJson = await terraform.showPlan(ctx.shell, session, planFile);
  const summary = terraform.summarizePlan(planJson);
  ctx.ui.info(terraform.formatPlanSummary(summary));
  const costInput = options.showCost ? terraform.costInputFromPlan(planJson) : undefined;
  if (costInput) ctx.ui.info(formatCostEstimate(estimateMonthlyCost(costInput)));
  return { planJson, summary };
}

async function applyChanges(
  ctx: InfraContext,
  session: terraform.TerraformSession,
  planFile: string,
  reuseSavedPlan: boolean,
): Promise<void> {
  let reviewed: ReviewedPlan;
  if (reuseSavedPlan) {
    ctx.ui.info(`Use the saved plan ${planFile}.`);
    reviewed = await review(ctx, session, planFile, { showCost: true });
  } else {
    reviewed = await makePlan(ctx, session, planFile, { destroy: false });
  }
  if (!terraform.hasChanges(reviewed.summary)) {
    rmSync(planFile, { force: true });
    ctx.ui.success('Nothing to apply.');
    return;
  }
  if (ctx.config.dryRun) {
    await terraform.apply(ctx.shell, session, planFile);
    ctx.ui.info(`Dry run: nothing was applied. The plan stays in ${planFile} for a real run.`);
    return;
  }
  if (!ctx.config.yes) {
    const approved = await ctx.prompter.confirm(
      { message: 'Apply exactly these changes?', default: false },
      { what: 'confirmation to apply', howToProvide: 'pass --yes' },
    );
    if (!approved) throw new InterruptedError(`Not applied: you answered no. The plan stays in ${planFile}.`);
  }
  ctx.ui.info('Apply the plan (creating an LKE cluster takes several minutes).');
  await applyToTheEnd(ctx, session, planFile);
  // A plan cannot be applied twice, and it holds the token: it has no use left.
  rmSync(planFile, { force: true });
  const outputs = await terraform.output(ctx.shell, session);
  registerSensitiveOutputs(ctx, outputs);
  ctx.ui.success('Applied.');
  ctx.ui.info(terraform.formatOutputs(outputs));
  ctx.ui.info(
    `Next: ${deckhand('kubeconfig')}   (downloads the kubeconfig, records this cluster as the one the project manages)`,
  );
}

async function destroyAll(
  ctx: InfraContext,
  session: terraform.TerraformSession,
  planFile: string,
  beforeDestroy?: () => Promise<void>,
): Promise<void> {
  const reviewed = await makePlan(ctx, session, planFile, { destroy: true });
  if (!terraform.hasChanges(reviewed.summary)) {
    rmSync(planFile, { force: true });
    ctx.ui.success('Nothing to destroy: terraform manages no resources here.');
    return;
  }
  const label = terraform.clusterLabelDestroyedBy(reviewed.planJson);
  if (ctx.config.dryRun) {
    await beforeDestroy?.();
    await terraform.apply(ctx.shell, session, planFile);
    ctx.ui.info(`Dry run: nothing was destroyed. The destroy plan stays in ${planFile}.`);
    return;
  }
  if (!ctx.config.yes) await confirmByTypingLabel(ctx, label, planFile);
  await beforeDestroy?.();
  ctx.ui.info('Destroy (this takes a few minutes).');
  await applyToTheEnd(ctx, session, planFile);
  rmSync(planFile, { force: true });
  forgetManagedCluster(ctx, label);
  ctx.ui.success(label ? `Destroyed cluster "${label}".` : 'Destroyed.');
}

async function confirmByTypingLabel(ctx: InfraContext, label: string | undefined, planFile: string): Promise<void> {
  const expected = label ?? 'destroy';
  const typed = await ctx.prompter.input(
    {
      message: label
        ? `This deletes cluster "${label}" and everything running in it. Type its label to confirm:`
        : 'Type "destroy" to confirm:',
    },
    { what: 'confirmation to destroy', howToProvide: 'pass --yes' },
  );
  if (typed.trim() !== expected) {
    rmSync(planFile, { force: true });
    throw new UsageError(
      `"${typed.trim()}" is not "${expected}": nothing was destroyed.`,
      `Run \`${deckhand('infra', 'destroy')}\` again and type the label exactly.`,
    );
  }
}

/** The guard must not keep protecting a cluster that no longer exists. */
function forgetManagedCluster(ctx: InfraContext, label: string | undefined): void {
  const root = ctx.config.stateRoot;
  const managed = readManagedCluster(root);
  if (!managed || !label || managed.label !== label) return;
  rmSync(managedClusterFile(root), { force: true });
  ctx.ui.info(
    `Forgot the managed cluster "${label}" (.deckhand/cluster.json): the cluster guard is off until \`tasks.ts kubeconfig\` records a cluster again.`,
  );
}

async function showOutputs(ctx: InfraContext, dir: string, options: InfraOptions): Promise<void> {
  const outputs = await terraform.output(ctx.shell, { dir });
  registerSensitiveOutputs(ctx, outputs);
  ctx.ui.data(
    options.json ? JSON.stringify(terraform.publicOutputs(outputs), null, 2) : terraform.formatOutputs(outputs),
  );
}

/** Sensitive outputs (the base64 kubeconfig) are masked should anything ever echo them. */
function registerSensitiveOutputs(ctx: InfraContext, outputs: terraform.TerraformOutputs): void {
  for (const entry of Object.values(outputs))
    if (entry.sensitive && typeof entry.value === 'string') ctx.masker.add(entry.value);
}

/** Applies the plan; on Ctrl-C says why terraform is left to finish (see terraform.apply). */
async function applyToTheEnd(ctx: InfraContext, session: terraform.TerraformSession, planFile: string): Promise<void> {
  const explain = () =>
    ctx.ui.warn(
      'terraform is finishing the changes in progress: stopping it half-way could lose track of what it created. Press Ctrl-C again to leave it running in the background.',
    );
  ctx.interruption.signal.addEventListener('abort', explain, { once: true });
  try {
    await terraform.apply(ctx.shell, session, planFile, terraformLog(ctx));
  } finally {
    ctx.interruption.signal.removeEventListener('abort', explain);
  }
}

function terraformLog(ctx: InfraContext): (line: string) => void {
  return (line) => ctx.ui.info(`  │ ${line}`);
}
