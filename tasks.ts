/**
 * deckhand — the runbooks.
 *
 *   npx tsx tasks.ts <command> [app] [options]      (npx tsx tasks.ts --help lists everything)
 *
 * Each pipeline below is a short function whose step titles read like what a person would do by hand; the work
 * itself lives in scripts/steps/ (grouped by capability), on top of one module per wrapped tool (scripts/docker.ts,
 * helm.ts, kubectl.ts, …). What each command is called, its arguments, options and examples are data in
 * scripts/cli/commands/. Start-up stays light: a command's modules are imported only when it runs.
 */
// First: on a Node too old for deckhand, this says so in one line and exits before anything else loads.
import './scripts/cli/require-node.js';
import type { ServiceApp } from './scripts/apps/index.ts';
import type { CommandContext } from './scripts/cli/context.ts';
import * as shared from './scripts/cli/commands/app.ts';
import { COMMANDS, type Commands } from './scripts/cli/commands/index.ts';
import type * as job from './scripts/cli/commands/job.ts';
import type * as service from './scripts/cli/commands/service.ts';
import type * as start from './scripts/cli/commands/setup.ts';
import { isEntryPoint, runCli, type Handlers } from './scripts/cli/main.ts';
import { unwrapStepError } from './scripts/lib/errors.ts';
import type { PipelineEntry, Step } from './scripts/lib/pipeline.ts';
import { DIRECT_HANDLERS } from './scripts/steps/handlers.ts';

/** A step whose lines stay on screen after it ends. */
const KEEP = { keepOutput: true } as const;

/**
 * deploy <job app>: the whole batch run of one release. Independent work (image, namespace + the run's inputs Secret,
 * chart check) runs side by side; the rest is strictly in order, and a failed step stops everything after it — a
 * failed or unverified copy never leads to deleting anything. However the run ends, its record is written (and the
 * inputs of a run that never got its release are deleted).
 */
async function deployJob(ctx: CommandContext<typeof shared.deploy>): Promise<void> {
  const [run, steps, claim, follow, finish] = await Promise.all([
    import('./scripts/steps/job/deploy-run.ts'),
    import('./scripts/steps/job/deploy.ts'),
    import('./scripts/steps/job/claim.ts'),
    import('./scripts/steps/job/follow.ts'),
    import('./scripts/steps/job/finish.ts'),
  ]);
  const deploy = run.prepareDeploy(ctx);
  let failure: unknown;
  try {
    await runSteps(ctx, deploy, [
      { title: 'Check prerequisites: tools, git commit, cluster target', run: steps.checkPrerequisites, ...KEEP },
      { title: 'Plan the release', run: steps.planRun, ...KEEP },
      { title: `Collect the ${deploy.app.name} inputs`, run: steps.collectInputs, ...KEEP },
      {
        title: 'Prepare the image and the cluster',
        concurrent: true,
        steps: [
          { title: 'Build and push the image', run: steps.buildImage },
          { title: "Prepare the namespace and the run's inputs Secret", run: steps.prepareNamespaceAndSecret, ...KEEP },
          { title: 'Check that the chart renders', run: steps.renderChart },
        ],
      },
      { title: 'Install the release', run: claim.installRelease },
      {
        title: 'Run the Job and follow its logs',
        run: follow.followJob,
        outputLines: 15,
        keepOutput: { lastLines: 15, whenFailed: false },
      },
      { title: 'Copy the output', run: finish.copyJobOutput, ...KEEP },
      {
        title: 'Uninstall the release and delete its PVC',
        run: finish.cleanUp,
        enabled: () => deploy.flags.cleanup,
        ...KEEP,
      },
    ]);
  } catch (error) {
    failure = unwrapStepError(error);
    throw error;
  } finally {
    steps.stopReadsAhead(deploy);
    await claim.discardUnusedInputs(deploy);
    await finish.recordRun(deploy, failure);
    for (const line of finish.nextSteps(deploy)) ctx.ui.info(line);
  }
  ctx.ui.success(
    ctx.config.dryRun ? 'Dry run done: nothing was changed.' : `${deploy.app.name} run ${deploy.plan!.release} done.`,
  );
}

/**
 * deploy <service>: one roll-out. The images build side by side with the cluster work that needs none of them (the
 * foundation, then Postgres until ready); the app's Deployments follow with the new digests, watched and undone on
 * failure; the Ingress comes last. However it ends, a run that reached the cluster leaves its record.
 */
async function deployService(ctx: CommandContext<typeof shared.deploy>, app: ServiceApp): Promise<void> {
  const [run, steps, rollout, finish] = await Promise.all([
    import('./scripts/steps/service/deploy-run.ts'),
    import('./scripts/steps/service/deploy.ts'),
    import('./scripts/steps/service/rollout.ts'),
    import('./scripts/steps/service/finish.ts'),
  ]);
  const deploy = run.prepareServiceDeploy(ctx, app);
  const first = app.readyFirst.join(', ');
  const builds = app.images.map((image): Step<typeof deploy> => ({
    title: `Build and push ${image.name}`,
    run: (_, task) => steps.buildImage(deploy, image, task),
  }));
  let failure: unknown;
  try {
    await runSteps(ctx, deploy, [
      { title: 'Check prerequisites: tools, git, cluster target', run: steps.checkPrerequisites, ...KEEP },
      { title: 'Plan the roll-out', run: steps.planRollout, ...KEEP },
      { title: `Collect the ${app.name} inputs`, run: steps.collectInputs, ...KEEP },
      {
        title: `Build the images; prepare the cluster and ${first}`,
        concurrent: true,
        steps: [...builds, { title: `Apply the foundation, then ${first}`, run: rollout.prepareCluster, ...KEEP }],
      },
      { title: 'Roll out the app', run: rollout.rollOutApp, ...KEEP, outputLines: 15 },
      { title: 'Apply the Ingress', run: rollout.applyIngress, ...KEEP },
    ]);
  } catch (error) {
    failure = unwrapStepError(error);
    throw error;
  } finally {
    steps.stopReadsAhead(deploy);
    await finish.recordRollout(deploy, failure);
  }
  ctx.ui.success(finish.successMessage(deploy));
}

/** rollback <service>: every question first (which revision, confirm), then the undo, watched like a deploy. */
async function rollbackService(ctx: CommandContext<typeof service.rollback>): Promise<void> {
  const steps = await import('./scripts/steps/service/rollback.ts');
  const run = await steps.prepareRollback(ctx);
  const title = `Roll ${run.to.deployment} back to revision ${run.to.revision}`;
  await runSteps(ctx, run, [{ title, run: steps.rollBack, ...KEEP, outputLines: 10 }]);
  ctx.ui.success(steps.rollbackSummary(run));
}

/** restart <service>: the Deployments the others need first, ready, then the rest; each watched like a deploy. */
async function restartService(ctx: CommandContext<typeof service.restart>): Promise<void> {
  const steps = await import('./scripts/steps/service/restart.ts');
  const run = steps.prepareRestart(ctx);
  const groups = run.groups.map((names): Step<typeof run> => ({
    title: `Restart ${names.join(' and ')}`,
    run: (_, task) => steps.restartGroup(run, names, task),
    ...KEEP,
  }));
  await runSteps(ctx, run, groups);
  ctx.ui.success(steps.restartSummary(run));
}

/**
 * uninstall <job app>: pick runs (or name them), answer every question first, then per run, in order: helm
 * uninstall, wait for its pods to go, delete its inputs Secret and its PVC, and delete (waiting until it is gone) or
 * keep the volume a Retain policy leaves behind.
 */
async function uninstallRuns(ctx: CommandContext<typeof job.uninstall>): Promise<void> {
  const steps = await import('./scripts/steps/job/uninstall-command.ts');
  const run = await steps.prepareUninstall(ctx);
  const perRun = run.decision.items.map((item): Step<typeof run> => ({
    title:
      item.action === 'rollback'
        ? `Roll back ${item.row.name} to revision ${item.revision}`
        : `Uninstall ${item.row.name}: Helm release, pods, PVC, volume`,
    run: (_, task) => steps.uninstallItem(run, item, task),
    ...KEEP,
  }));
  const afterRuns: Step<typeof run> = {
    title: 'Delete the inputs Secret that runs made before per-run inputs shared',
    run: steps.deleteSharedInputs,
    enabled: () => run.sharedInputs !== undefined,
    ...KEEP,
  };
  let report: ReturnType<typeof steps.uninstallReport> | undefined;
  try {
    await runSteps(ctx, run, [...perRun, afterRuns]);
  } finally {
    report = steps.uninstallReport(run);
    for (const line of report.info) ctx.ui.info(line);
    for (const line of report.warnings) ctx.ui.warn(line);
  }
  // A volume whose deletion was asked for and that is still there is a failure, however much else went.
  if (report.failure) throw report.failure;
  ctx.ui.success(report.success);
}

/** copy <job app>: a run's output, through the same verified helper-pod copy as deploy, into the run's own folder. */
async function copyOutput(ctx: CommandContext<typeof job.copy>): Promise<void> {
  const steps = await import('./scripts/steps/job/copy-command.ts');
  const run = await steps.prepareCopy(ctx);
  if (!run) return;
  const title = `Copy the output of ${run.row.name} to ${run.destination}/`;
  await runSteps(ctx, run, [{ title, run: steps.copyRun, ...KEEP }]);
  ctx.ui.success(
    ctx.config.dryRun ? 'Dry run done: nothing was changed.' : `Output of ${run.row.name}: ${run.destination}/`,
  );
}

/**
 * setup: from nothing to a running app. Each stage looks first and is skipped (saying why) when its work is done, so
 * a second run continues where the first stopped; the work is the commands' own (infra, kubeconfig, ingress, deploy).
 */
async function setupProject(ctx: CommandContext<typeof start.setup>): Promise<void> {
  const setup = await import('./scripts/steps/setup/index.ts');
  const run = setup.prepareSetup(ctx, { deploy: deployJob });
  const outcomes = await setup.runStages(run, [
    setup.lookAround,
    setup.installToolsStage,
    setup.answerStage,
    setup.clusterStage,
    setup.kubeconfigStage,
    setup.ingressStage,
    setup.dnsStage,
    setup.dryRunStage,
    setup.deployStage,
  ]);
  ctx.ui.success(setup.setupSummary(ctx.config.dryRun, outcomes));
}

/** Runs a runbook's steps, drawn as the terminal allows (Listr is loaded only here, when a pipeline runs). */
async function runSteps<Run>(ctx: CommandContext, run: Run, entries: readonly PipelineEntry<Run>[]): Promise<void> {
  const { runPipeline } = await import('./scripts/lib/pipeline.ts');
  await runPipeline(run, entries, { verbose: ctx.config.verbose, interactive: ctx.prompter.interactive });
}

/** Every command, by name: the runbooks above, and (from scripts/steps/handlers.ts) the commands that need none. */
export const HANDLERS: Handlers<Commands> = {
  setup: setupProject,
  ...DIRECT_HANDLERS,
  deploy: async (ctx) => {
    const app = (await import('./scripts/cli/app-kind.ts')).appForCommand(shared.deploy, ctx.invocation);
    return app.kind === 'job' ? deployJob(ctx) : deployService(ctx, app);
  },
  uninstall: uninstallRuns,
  copy: copyOutput,
  rollback: rollbackService,
  restart: restartService,
};

/** Runs one command line and returns its exit code (the `deckhand` bin calls this too). */
export function main(argv: readonly string[]): Promise<number> {
  return runCli(argv, {
    commands: COMMANDS,
    handlers: HANDLERS,
    repoRoot: import.meta.dirname,
    entry: import.meta.filename,
  });
}

if (isEntryPoint(import.meta.url)) process.exitCode = await main(process.argv.slice(2));
