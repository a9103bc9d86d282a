/**
 * deckhand — the runbook.
 *
 *   npx tsx tasks.ts <command> [app] [options]      (npx tsx tasks.ts --help lists everything)
 *
 * Each command below is declared as data (name, arguments, options, examples) and implemented by a short function
 * whose Listr task titles read like the steps a person would follow by hand. The work itself lives in scripts/steps/
 * (one module per step) on top of one module per wrapped tool (scripts/docker.ts, helm.ts, kubectl.ts, …).
 *
 * Start-up stays light: `--help` loads only the parser and the command table. Everything else (zx, listr2, prompts,
 * YAML) is imported inside the command that needs it.
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { CommandSpec } from './scripts/cli/spec.ts';
import type { CommandContext } from './scripts/cli/context.ts';
import { DeckhandError, EXIT_OK, exitCodeFor, formatError, unwrapStepError } from './scripts/lib/errors.ts';

const REPO_ROOT = import.meta.dirname;

// ─── Commands ──────────────────────────────────────────────────────────────────────────────────────────────────

/**
 * deploy <job app>: the whole batch run of one release, as a person would do it by hand.
 * Independent work (image, namespace + Secret, chart check) runs side by side; the rest is strictly in order, and a
 * failed step stops everything after it — a failed or unverified copy never leads to deleting anything.
 */
async function deploy(ctx: CommandContext): Promise<void> {
  const [{ Listr }, steps, { listrOptions, stepTasks }] = await Promise.all([
    import('listr2'),
    import('./scripts/steps/job/deploy.ts'),
    import('./scripts/lib/ui.ts'),
  ]);
  const run = steps.prepareDeploy(ctx);
  const app = run.app.name;
  const pipeline = new Listr<typeof run>(
    stepTasks([
      {
        title: 'Check prerequisites: tools, git commit, cluster target',
        task: steps.checkPrerequisites,
        rendererOptions: { persistentOutput: true },
      },
      { title: 'Plan the release', task: steps.planRun, rendererOptions: { persistentOutput: true } },
      { title: `Collect the ${app} inputs`, task: steps.collectInputs, rendererOptions: { persistentOutput: true } },
      {
        title: 'Prepare the image and the cluster',
        task: (_, task) =>
          task.newListr(
            stepTasks([
              { title: 'Build and push the image', task: steps.buildImage },
              {
                title: 'Prepare the namespace and Secret',
                task: steps.prepareNamespaceAndSecret,
                rendererOptions: { persistentOutput: true },
              },
              { title: 'Check that the chart renders', task: steps.renderChart },
            ]),
            { concurrent: true },
          ),
      },
      { title: 'Install the release', task: steps.installRelease },
      { title: 'Run the Job and follow its logs', task: steps.followJob, rendererOptions: { outputBar: 15 } },
      { title: 'Copy the output', task: steps.copyJobOutput, rendererOptions: { persistentOutput: true } },
      {
        title: 'Uninstall the release and delete its PVC',
        task: steps.cleanUp,
        enabled: () => run.flags.cleanup,
        rendererOptions: { persistentOutput: true },
      },
    ]),
    { ...listrOptions<typeof run>({ verbose: ctx.config.verbose }), ctx: run },
  );
  let failure: unknown;
  try {
    await pipeline.run();
  } catch (error) {
    failure = unwrapStepError(error);
    throw error;
  } finally {
    steps.stopReadsAhead(run);
    await steps.recordRun(run, failure);
    for (const line of steps.nextSteps(run)) ctx.ui.info(line);
  }
  if (ctx.config.dryRun) ctx.ui.success('Dry run done: nothing was changed.');
  else ctx.ui.success(`${app} run ${run.plan!.release} done.`);
}

/** releases <job app>: every run with its state, Job outcome, commit, age, PVC, and whether its output is here. */
async function releases(ctx: CommandContext): Promise<void> {
  const [{ findJobApp }, steps] = await Promise.all([
    import('./scripts/apps/index.ts'),
    import('./scripts/steps/job/runs.ts'),
  ]);
  const app = findJobApp(ctx.invocation.args.app, 'releases');
  const target = ctx.resolveTarget(app.namespace);
  const rows = await steps.readReleases({
    shell: ctx.shell,
    target,
    app: app.name,
    namespace: target.namespace,
    outputDir: ctx.config.outputDir,
  });
  const now = new Date();
  if (ctx.invocation.options.json) ctx.ui.data(JSON.stringify(steps.releasesJson(rows, now), null, 2));
  else if (rows.length === 0)
    ctx.ui.info(
      `${app.name} has no releases in namespace ${target.namespace}. Start one with: npx tsx tasks.ts deploy ${app.name}`,
    );
  else ctx.ui.data(steps.formatReleaseTable(rows, now));
}

/**
 * uninstall <job app>: pick runs (or name them), answer every question first, then per run, in order: helm
 * uninstall, wait for its pods to go, delete its PVC, and delete or keep the volume a Retain policy leaves behind.
 */
async function uninstall(ctx: CommandContext): Promise<void> {
  const [{ Listr }, steps, { listrOptions, stepTasks }] = await Promise.all([
    import('listr2'),
    import('./scripts/steps/job/uninstall.ts'),
    import('./scripts/lib/ui.ts'),
  ]);
  const run = await steps.prepareUninstall(ctx);
  const pipeline = new Listr<typeof run>(
    stepTasks(
      run.decision.items.map((item) => ({
        title:
          item.action === 'rollback'
            ? `Roll back ${item.row.name} to revision ${item.revision}`
            : `Uninstall ${item.row.name}: Helm release, pods, PVC, volume`,
        task: (_, task) => steps.uninstallItem(run, item, task),
        rendererOptions: { persistentOutput: true },
      })),
    ),
    { ...listrOptions<typeof run>({ verbose: ctx.config.verbose }), ctx: run },
  );
  try {
    await pipeline.run();
  } finally {
    const report = steps.uninstallReport(run);
    for (const line of report.info) ctx.ui.info(line);
    for (const line of report.warnings) ctx.ui.warn(line);
  }
  ctx.ui.success(steps.uninstallReport(run).success);
}

/** logs <job app>: the newest pod's log of a run, followed while its Job runs. */
async function logs(ctx: CommandContext): Promise<void> {
  const [{ findJobApp }, releaseSteps, steps] = await Promise.all([
    import('./scripts/apps/index.ts'),
    import('./scripts/steps/job/runs.ts'),
    import('./scripts/steps/job/logs.ts'),
  ]);
  const app = findJobApp(ctx.invocation.args.app, 'logs');
  const { options } = ctx.invocation;
  const tail = steps.parseTail(options.tail as string | undefined);
  const target = ctx.resolveTarget(app.namespace);
  const rows = await releaseSteps.readReleases({
    shell: ctx.shell,
    target,
    app: app.name,
    namespace: target.namespace,
    outputDir: ctx.config.outputDir,
  });
  const row = await releaseSteps.chooseRelease({
    prompter: ctx.prompter,
    app: app.name,
    namespace: target.namespace,
    rows,
    given: options.release as string | undefined,
    purpose: 'show the logs of',
    now: new Date(),
    unusable: (candidate) =>
      candidate.helm || candidate.job.state !== 'gone'
        ? undefined
        : 'its release and Job are gone, and its logs with them',
  });
  const result = await steps.streamReleaseLogs({
    shell: ctx.shell,
    target,
    namespace: target.namespace,
    app: app.name,
    release: row.name,
    follow: options.follow === true,
    tail,
    onLine: (line) => ctx.ui.data(line),
    log: (line) => ctx.ui.info(line),
  });
  if (result.followed) ctx.ui.info(`Job ${row.name}: ${result.job}.`);
}

/** copy <job app>: a run's output, through the same verified helper-pod copy as deploy, into output/<release>/. */
async function copy(ctx: CommandContext): Promise<void> {
  const [{ Listr }, { findJobApp }, steps, { listrOptions, stepTasks }, path] = await Promise.all([
    import('listr2'),
    import('./scripts/apps/index.ts'),
    import('./scripts/steps/job/runs.ts'),
    import('./scripts/lib/ui.ts'),
    import('node:path'),
  ]);
  const app = findJobApp(ctx.invocation.args.app, 'copy');
  const target = ctx.resolveTarget(app.namespace, { forWrite: true });
  const rows = await steps.readReleases({
    shell: ctx.shell,
    target,
    app: app.name,
    namespace: target.namespace,
    outputDir: ctx.config.outputDir,
  });
  const row = await steps.chooseRelease({
    prompter: ctx.prompter,
    app: app.name,
    namespace: target.namespace,
    rows,
    given: ctx.invocation.options.release as string | undefined,
    purpose: 'copy the output of',
    unusable: steps.copyBlocker,
    now: new Date(),
  });
  const destination = path.relative(ctx.config.repoRoot, row.output.dir);
  if (row.output.copied && ctx.invocation.options.force !== true) {
    ctx.ui.success(
      `The output of ${row.name} is already in ${destination}/ (${row.output.files} files, verified). Pass --force to copy it again.`,
    );
    return;
  }
  // The copy creates (and deletes) a helper pod: name the cluster first.
  ctx.ui.info((await import('./scripts/lib/target.ts')).targetBanner(target));
  const pipeline = new Listr(
    stepTasks([
      {
        title: `Copy the output of ${row.name} to ${destination}/`,
        task: async (_, task) => {
          const shell = ctx.shell.withLog((line) => (task.output = line));
          const result = await steps.copyReleaseOutput({
            shell,
            target,
            app: app.name,
            row,
            helperImage: ctx.config.helperImage,
            log: (line) => (task.output = line),
          });
          task.title = shell.dryRun
            ? `Copy the output of ${row.name} to ${destination}/ (dry run)`
            : `Copied ${result.files.length} file${result.files.length === 1 ? '' : 's'} of ${row.name} to ${destination}/ (verified, recorded in run.json)`;
        },
        rendererOptions: { persistentOutput: true },
      },
    ]),
    listrOptions({ verbose: ctx.config.verbose }),
  );
  await pipeline.run();
  ctx.ui.success(ctx.config.dryRun ? 'Dry run done: nothing was changed.' : `Output of ${row.name}: ${destination}/`);
}

async function doctor(ctx: CommandContext): Promise<void> {
  const { runChecks, formatCheck } = await import('./scripts/steps/checks/doctor.ts');
  const { findApp } = await import('./scripts/apps/index.ts');
  const app = findApp(ctx.invocation.args.app ?? 'caelundas');
  const results = await runChecks(ctx, app.namespace);
  for (const result of results) ctx.ui.info(formatCheck(result));
  const failed = results.filter((result) => result.status === 'fail');
  if (failed.length > 0)
    throw new DeckhandError(
      `${failed.length} check${failed.length === 1 ? '' : 's'} failed: ${failed.map((result) => result.name).join(', ')}.`,
      'Fix the items marked ✖ above, then run `npx tsx tasks.ts doctor` again.',
    );
  ctx.ui.success('Ready.');
}

async function apps(ctx: CommandContext): Promise<void> {
  const { APPS } = await import('./scripts/apps/index.ts');
  const { describeApps } = await import('./scripts/steps/apps/describe.ts');
  ctx.ui.data(
    ctx.invocation.options.json
      ? JSON.stringify(describeApps(APPS, ctx.config), null, 2)
      : describeApps(APPS, ctx.config)
          .map((app) => app.text)
          .join('\n\n'),
  );
}

async function infra(ctx: CommandContext): Promise<void> {
  const { runInfra } = await import('./scripts/steps/infra/infra.ts');
  const { options } = ctx.invocation;
  await runInfra(ctx, ctx.invocation.args.action as 'plan' | 'apply' | 'destroy' | 'output', {
    planFile: options['plan-file'] as string | undefined,
    json: options.json === true,
  });
}

async function kubeconfig(ctx: CommandContext): Promise<void> {
  const { runKubeconfig } = await import('./scripts/steps/infra/kubeconfig.ts');
  const { options } = ctx.invocation;
  await runKubeconfig(ctx, {
    clusterId: options['cluster-id'] as string | undefined,
    label: options.label as string | undefined,
    merge: options.merge === true,
  });
}

export const COMMANDS: readonly CommandSpec[] = [
  {
    name: 'deploy',
    summary: 'Build and push the image, then run one release of a batch Job, follow its logs and copy its output back',
    details: [
      "Each run is its own Helm release named <app>-YYYYMMDD-HHMMSS (UTC): a Job's pod template cannot be changed, so",
      'a run is never an upgrade of an earlier one. The image is tagged sha-<commit> (plus the app version) and run by',
      "digest; the build is skipped when the registry already has the commit's image. Inputs come from the environment,",
      'then .env.<app>, then a prompt on a terminal. The output lands in output/<release>/ with a run.json record.',
    ].join('\n'),
    args: [{ name: 'app', description: 'The Job app to run (see `apps`)', required: true }],
    options: {
      image: {
        type: 'string',
        valueName: 'ref',
        description: 'Deploy this existing image (repo:tag or repo:tag@sha256:…) instead of building.',
      },
      rebuild: {
        type: 'boolean',
        description: 'Build and push even if the registry already has the image of this commit.',
      },
      'allow-dirty': {
        type: 'boolean',
        description: 'Build from a work tree with uncommitted changes (the tag says -dirty).',
      },
      cleanup: { type: 'boolean', description: 'After a verified copy, uninstall the release and delete its PVC.' },
      timeout: {
        type: 'string',
        valueName: 'duration',
        description: 'How long to wait for the Job (default 30m, or DECKHAND_JOB_TIMEOUT).',
      },
      dockerfile: { type: 'string', valueName: 'file', description: "Dockerfile to build (default: the app's)." },
      'build-context': { type: 'string', valueName: 'dir', description: "Build context folder (default: the app's)." },
    },
    examples: [
      'npx tsx tasks.ts deploy caelundas --dry-run',
      'npx tsx tasks.ts deploy caelundas',
      'npx tsx tasks.ts deploy caelundas --cleanup --timeout 1h',
      'npx tsx tasks.ts deploy caelundas --image ghcr.io/me/caelundas:sha-1a2b3c4',
    ],
    configOverrides: (invocation) => ({ DECKHAND_JOB_TIMEOUT: invocation.options.timeout as string | undefined }),
    run: deploy,
  },
  {
    name: 'releases',
    summary:
      "List a Job app's runs: state, Job outcome, commit, age, PVC and volume, and whether the output was copied here",
    details: [
      'Shows every Helm release named <app>-YYYYMMDD-HHMMSS, plus any PVC or Released volume a run left behind without',
      'its release (those still cost money). "copied" means output/<release>/run.json records a verified copy. A release',
      'in a pending-* state (an interrupted helm operation) is shown as stuck, with the command that fixes it.',
    ].join('\n'),
    args: [{ name: 'app', description: 'The Job app (see `apps`)', required: true }],
    options: { json: { type: 'boolean', description: 'Print JSON for scripts.' } },
    examples: ['npx tsx tasks.ts releases caelundas', 'npx tsx tasks.ts releases caelundas --json'],
    run: releases,
  },
  {
    name: 'uninstall',
    summary:
      'Remove runs of a Job app: pick, confirm, helm uninstall, wait for the pods, delete the PVC and (if told) the volume',
    details: [
      'On a terminal you pick releases from a list (finished and oldest first) and confirm (default: no); a run whose output',
      'was never copied here asks a second time. Off a terminal name them with --release and pass --yes (and --force for',
      'output never copied). LKE volumes are Retained: after the PVC goes, the volume and its data stay and are billed.',
      'It is deleted only with --delete-volume or a yes to that question (its reclaim policy is switched to Delete so the',
      'Linode CSI driver removes the Linode volume too). A stuck (pending-*) release needs --recover off a terminal.',
      'Uninstalling a run that is already gone succeeds with "nothing to do".',
    ].join('\n'),
    args: [{ name: 'app', description: 'The Job app (see `apps`)', required: true }],
    options: {
      release: {
        type: 'string',
        multiple: true,
        valueName: 'name',
        description: 'A release to uninstall. Without it, a picker on a terminal.',
      },
      force: {
        type: 'boolean',
        description: 'Also delete runs whose output was never copied here, without asking again.',
      },
      'keep-pvc': {
        type: 'boolean',
        description: 'Keep the PVC (and the output on it); remove only the Helm release, Job and pods.',
      },
      'delete-volume': {
        type: 'boolean',
        description: 'Also delete the volume a Retain policy keeps (its data is lost; it stops being billed).',
      },
      recover: {
        type: 'boolean',
        description: 'Uninstall a release stuck in pending-* (only when no helm command is still working on it).',
      },
    },
    examples: [
      'npx tsx tasks.ts uninstall caelundas',
      'npx tsx tasks.ts uninstall caelundas --release caelundas-20260125-143022 --yes',
      'npx tsx tasks.ts uninstall caelundas --release caelundas-20260125-143022 --delete-volume --yes',
      'npx tsx tasks.ts uninstall caelundas --release caelundas-20260125-143022 --recover --yes',
    ],
    run: uninstall,
  },
  {
    name: 'logs',
    summary: "Show a run's logs (the newest pod of its Job), following them while the Job runs",
    args: [{ name: 'app', description: 'The Job app (see `apps`)', required: true }],
    options: {
      release: {
        type: 'string',
        valueName: 'name',
        description: 'The release whose logs to show. Without it, a picker on a terminal.',
      },
      tail: { type: 'string', valueName: 'lines', description: 'Only the last N lines.' },
      follow: {
        type: 'boolean',
        description: 'Follow the log even though the Job has finished (it is followed anyway while it runs).',
      },
    },
    examples: [
      'npx tsx tasks.ts logs caelundas',
      'npx tsx tasks.ts logs caelundas --release caelundas-20260125-143022 --tail 100',
    ],
    run: logs,
  },
  {
    name: 'copy',
    summary: "Copy a finished run's output from its PVC into output/<release>/ (verified), and record it in run.json",
    args: [{ name: 'app', description: 'The Job app (see `apps`)', required: true }],
    options: {
      release: {
        type: 'string',
        valueName: 'name',
        description: 'The release whose output to copy. Without it, a picker on a terminal.',
      },
      force: { type: 'boolean', description: 'Copy again even though a verified copy is already here.' },
    },
    examples: [
      'npx tsx tasks.ts copy caelundas',
      'npx tsx tasks.ts copy caelundas --release caelundas-20260125-143022',
    ],
    run: copy,
  },
  {
    name: 'doctor',
    summary: 'Check this machine: tools and versions, configuration, kubeconfig, and that the cluster answers',
    args: [{ name: 'app', description: 'App whose namespace to check (default: caelundas)', required: false }],
    options: {},
    examples: ['npx tsx tasks.ts doctor', 'npx tsx tasks.ts doctor --kubeconfig ~/.kube/lke-kubeconfig.yaml'],
    run: doctor,
  },
  {
    name: 'apps',
    summary: 'List the apps deckhand knows: kind, namespace, image, chart or manifests, required inputs',
    args: [],
    options: { json: { type: 'boolean', description: 'Print JSON for scripts.' } },
    examples: ['npx tsx tasks.ts apps', 'npx tsx tasks.ts apps --json'],
    run: apps,
  },
  {
    name: 'infra',
    summary: 'Create, change or destroy the LKE cluster with terraform: plan, show the cost, confirm, apply that plan',
    details: [
      'plan writes a plan file (0600) and prints what it would add, change and destroy; apply makes (or, with an existing',
      '--plan-file, reuses) a plan, shows it with a monthly cost estimate, asks, and applies exactly that plan; destroy asks',
      'you to type the cluster label; output prints the terraform outputs (sensitive ones hidden). The Linode token comes',
      'from LINODE_TOKEN (environment or .env) or a hidden prompt and reaches terraform as TF_VAR_linode_token, never argv.',
      'Off a terminal, apply and destroy need --yes. See docs/terraform.md.',
    ].join('\n'),
    args: [
      { name: 'action', description: 'What to do', required: true, choices: ['plan', 'apply', 'destroy', 'output'] },
    ],
    options: {
      'plan-file': {
        type: 'string',
        valueName: 'file',
        description: 'Plan file to write (plan) or apply (apply, when it exists). Default: terraform/deckhand.tfplan.',
      },
      json: { type: 'boolean', description: 'Print JSON for scripts.' },
    },
    examples: [
      'npx tsx tasks.ts infra plan',
      'npx tsx tasks.ts infra apply',
      'npx tsx tasks.ts infra apply --plan-file reviewed.tfplan',
      'npx tsx tasks.ts infra output --json',
      'npx tsx tasks.ts infra destroy',
    ],
    run: infra,
  },
  {
    name: 'kubeconfig',
    summary:
      "Download the cluster's kubeconfig to ~/.kube (0600), check the cluster answers, and record it as the managed cluster",
    details: [
      'Source: --cluster-id through linode-cli (when installed) or the Linode API; else the terraform outputs; else the',
      'cluster named by --label. Writes ~/.kube/<label>-kubeconfig.yaml atomically; --merge also merges it into',
      '~/.kube/config (backup first). Records the cluster in .deckhand/cluster.json, which turns on the cluster guard:',
      'commands that change a cluster then refuse any other unless you name it with --context or --kubeconfig.',
    ].join('\n'),
    args: [],
    options: {
      'cluster-id': {
        type: 'string',
        valueName: 'id',
        description: 'Numeric id of an existing LKE cluster (Cloud Manager or `linode-cli lke clusters-list`).',
      },
      label: {
        type: 'string',
        valueName: 'label',
        description: 'Label of the cluster to fetch (when it is not the one in the terraform outputs).',
      },
      merge: { type: 'boolean', description: 'Also merge it into ~/.kube/config (a timestamped backup is kept).' },
    },
    examples: [
      'npx tsx tasks.ts kubeconfig',
      'npx tsx tasks.ts kubeconfig --cluster-id 123456',
      'npx tsx tasks.ts kubeconfig --label deckhand --merge',
    ],
    run: kubeconfig,
  },
];

// ─── Entry ─────────────────────────────────────────────────────────────────────────────────────────────────────

export async function main(argv: readonly string[], commands: readonly CommandSpec[] = COMMANDS): Promise<number> {
  const { parseCommandLine } = await import('./scripts/cli/parse.ts');
  let parsed;
  try {
    parsed = parseCommandLine(argv, commands);
  } catch (error) {
    process.stderr.write(`${formatError(error, { verbose: argv.includes('--verbose') })}\n`);
    return exitCodeFor(error);
  }
  if (parsed.kind === 'version') {
    const { readFileSync } = await import('node:fs');
    process.stdout.write(
      `${(JSON.parse(readFileSync(`${REPO_ROOT}/package.json`, 'utf8')) as { version: string }).version}\n`,
    );
    return EXIT_OK;
  }
  if (parsed.kind === 'help') {
    const help = await import('./scripts/cli/help.ts');
    const spec = commands.find((command) => command.name === parsed.topic);
    process.stdout.write(`${spec ? help.renderCommandHelp(spec) : help.renderOverview(commands)}\n`);
    return EXIT_OK;
  }

  const { spec, invocation } = parsed;
  const { createCommandContext } = await import('./scripts/cli/context.ts');
  let ctx: CommandContext | undefined;
  try {
    ctx = createCommandContext(invocation, { repoRoot: REPO_ROOT, overrides: spec.configOverrides?.(invocation) });
    await spec.run(ctx);
    return EXIT_OK;
  } catch (error) {
    // After Ctrl-C, whatever error the interrupted step produced, the run ends as interrupted.
    const interrupted = ctx?.interruption.signal.aborted ? ctx.interruption.signal.reason : undefined;
    const reported = interrupted ?? error;
    process.stderr.write(`${formatError(reported, { verbose: invocation.flags.verbose })}\n`);
    return exitCodeFor(reported);
  } finally {
    await ctx?.close();
  }
}

function isEntryPoint(): boolean {
  const entry = process.argv[1];
  if (!entry) return false;
  try {
    return realpathSync(entry) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  process.exitCode = await main(process.argv.slice(2));
}
