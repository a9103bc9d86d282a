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
import type { CommandContext } from './scripts/cli/context.ts';
import { COMMANDS, type Commands } from './scripts/cli/commands/index.ts';
import type * as job from './scripts/cli/commands/job.ts';
import type * as start from './scripts/cli/commands/setup.ts';
import { isEntryPoint, runCli, type Handlers } from './scripts/cli/main.ts';
import { unwrapStepError } from './scripts/lib/errors.ts';
import type { PipelineOptions, Step } from './scripts/lib/pipeline.ts';

/**
 * deploy <job app>: the whole batch run of one release. Independent work (image, namespace + Secret, chart check)
 * runs side by side; the rest is strictly in order, and a failed step stops everything after it — a failed or
 * unverified copy never leads to deleting anything. However the run ends, its record is written.
 */
async function deployJob(ctx: CommandContext<typeof job.deploy>): Promise<void> {
  const [{ runPipeline }, run, steps, follow, finish] = await Promise.all([
    import('./scripts/lib/pipeline.ts'),
    import('./scripts/steps/job/deploy-run.ts'),
    import('./scripts/steps/job/deploy.ts'),
    import('./scripts/steps/job/follow.ts'),
    import('./scripts/steps/job/finish.ts'),
  ]);
  const deploy = run.prepareDeploy(ctx);
  let failure: unknown;
  try {
    await runPipeline(
      deploy,
      [
        {
          title: 'Check prerequisites: tools, git commit, cluster target',
          run: steps.checkPrerequisites,
          keepOutput: true,
        },
        { title: 'Plan the release', run: steps.planRun, keepOutput: true },
        { title: `Collect the ${deploy.app.name} inputs`, run: steps.collectInputs, keepOutput: true },
        {
          title: 'Prepare the image and the cluster',
          concurrent: true,
          steps: [
            { title: 'Build and push the image', run: steps.buildImage },
            { title: 'Prepare the namespace and Secret', run: steps.prepareNamespaceAndSecret, keepOutput: true },
            { title: 'Check that the chart renders', run: steps.renderChart },
          ],
        },
        { title: 'Install the release', run: steps.installRelease },
        { title: 'Run the Job and follow its logs', run: follow.followJob, outputLines: 15 },
        { title: 'Copy the output', run: finish.copyJobOutput, keepOutput: true },
        {
          title: 'Uninstall the release and delete its PVC',
          run: finish.cleanUp,
          enabled: () => deploy.flags.cleanup,
          keepOutput: true,
        },
      ],
      pipelineOptions(ctx),
    );
  } catch (error) {
    failure = unwrapStepError(error);
    throw error;
  } finally {
    steps.stopReadsAhead(deploy);
    await finish.recordRun(deploy, failure);
    for (const line of finish.nextSteps(deploy)) ctx.ui.info(line);
  }
  if (ctx.config.dryRun) ctx.ui.success('Dry run done: nothing was changed.');
  else ctx.ui.success(`${deploy.app.name} run ${deploy.plan!.release} done.`);
}

/**
 * uninstall <job app>: pick runs (or name them), answer every question first, then per run, in order: helm
 * uninstall, wait for its pods to go, delete its PVC, and delete or keep the volume a Retain policy leaves behind.
 */
async function uninstallRuns(ctx: CommandContext<typeof job.uninstall>): Promise<void> {
  const [{ runPipeline }, steps] = await Promise.all([
    import('./scripts/lib/pipeline.ts'),
    import('./scripts/steps/job/uninstall-plan.ts'),
  ]);
  const run = await steps.prepareUninstall(ctx);
  const perRun = run.decision.items.map((item): Step<typeof run> => ({
    title:
      item.action === 'rollback'
        ? `Roll back ${item.row.name} to revision ${item.revision}`
        : `Uninstall ${item.row.name}: Helm release, pods, PVC, volume`,
    run: (_, task) => steps.uninstallItem(run, item, task),
    keepOutput: true,
  }));
  let report: ReturnType<typeof steps.uninstallReport> | undefined;
  try {
    await runPipeline(run, perRun, pipelineOptions(ctx));
  } finally {
    report = steps.uninstallReport(run);
    for (const line of report.info) ctx.ui.info(line);
    for (const line of report.warnings) ctx.ui.warn(line);
  }
  ctx.ui.success(report.success);
}

/** copy <job app>: a run's output, through the same verified helper-pod copy as deploy, into output/<release>/. */
async function copyOutput(ctx: CommandContext<typeof job.copy>): Promise<void> {
  const [{ runPipeline }, steps] = await Promise.all([
    import('./scripts/lib/pipeline.ts'),
    import('./scripts/steps/job/copy-command.ts'),
  ]);
  const run = await steps.prepareCopy(ctx);
  if (!run) return;
  await runPipeline(
    run,
    [{ title: `Copy the output of ${run.row.name} to ${run.destination}/`, run: steps.copyRun, keepOutput: true }],
    pipelineOptions(ctx),
  );
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
  const ran = outcomes.filter((outcome) => outcome.state === 'done').length;
  ctx.ui.success(
    ctx.config.dryRun
      ? 'Dry run of setup done: nothing was changed.'
      : `Setup is complete (${ran} stage${ran === 1 ? '' : 's'} run, ${outcomes.length - ran} already done). Next: README → "Use deckhand for your own app".`,
  );
}

function pipelineOptions(ctx: CommandContext): PipelineOptions {
  return { verbose: ctx.config.verbose, interactive: ctx.prompter.interactive };
}

/** Every command, by name: the runbooks above, and the commands that need no pipeline. */
export const HANDLERS: Handlers<Commands> = {
  setup: setupProject,
  deploy: deployJob,
  releases: async (ctx) => (await import('./scripts/steps/job/commands.ts')).showReleases(ctx),
  uninstall: uninstallRuns,
  logs: async (ctx) => (await import('./scripts/steps/job/commands.ts')).showLogs(ctx),
  copy: copyOutput,
  doctor: async (ctx) => (await import('./scripts/steps/checks/doctor.ts')).runDoctor(ctx),
  tools: async (ctx) => void (await (await import('./scripts/steps/checks/tools-install.ts')).installTools(ctx)),
  apps: async (ctx) => (await import('./scripts/steps/apps/describe.ts')).showApps(ctx),
  infra: async (ctx) => {
    const { runInfra } = await import('./scripts/steps/infra/infra.ts');
    const { options } = ctx.invocation;
    await runInfra(ctx, ctx.invocation.args.action, {
      planFile: options['plan-file'],
      json: options.json,
      beforeDestroy: async () =>
        (await import('./scripts/steps/service/db-dump.ts')).offerDumpsBefore(ctx, 'the cluster is destroyed'),
    });
  },
  kubeconfig: async (ctx) => {
    const { runKubeconfig } = await import('./scripts/steps/infra/kubeconfig.ts');
    const { options } = ctx.invocation;
    await runKubeconfig(ctx, { clusterId: options['cluster-id'], label: options.label, merge: options.merge });
  },
  ci: async (ctx) => (await import('./scripts/steps/ci/secrets.ts')).runCiSecrets(ctx),
  ingress: async (ctx) => (await import('./scripts/steps/cluster/ingress.ts')).runIngress(ctx),
  db: async (ctx) => (await import('./scripts/steps/service/db.ts')).runDb(ctx),
  dashboard: async (ctx) => (await import('./scripts/steps/cluster/dashboard.ts')).runDashboard(ctx),
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
