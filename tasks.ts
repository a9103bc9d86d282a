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
import type { CommandContext } from './scripts/lib/context.ts';
import { EXIT_OK, exitCodeFor, formatError } from './scripts/lib/errors.ts';

const REPO_ROOT = import.meta.dirname;

// ─── Commands ──────────────────────────────────────────────────────────────────────────────────────────────────

/**
 * deploy <job app>: the whole batch run of one release, as a person would do it by hand.
 * Independent work (image, namespace + Secret, chart check) runs side by side; the rest is strictly in order, and a
 * failed step stops everything after it — a failed or unverified copy never leads to deleting anything.
 */
async function deploy(ctx: CommandContext): Promise<void> {
  const [{ Listr }, steps, { listrOptions }] = await Promise.all([import('listr2'), import('./scripts/steps/deploy/index.ts'), import('./scripts/lib/ui.ts')]);
  const run = steps.prepareDeploy(ctx);
  const app = run.app.name;
  const pipeline = new Listr<typeof run>(
    [
      { title: 'Check prerequisites: tools, git commit, cluster target', task: steps.checkPrerequisites, rendererOptions: { persistentOutput: true } },
      { title: 'Plan the release', task: steps.planRun, rendererOptions: { persistentOutput: true } },
      { title: `Collect the ${app} inputs`, task: steps.collectInputs, rendererOptions: { persistentOutput: true } },
      {
        title: 'Prepare the image and the cluster',
        task: (_, task) =>
          task.newListr(
            [
              { title: 'Build and push the image', task: steps.buildImage },
              { title: 'Prepare the namespace and Secret', task: steps.prepareNamespaceAndSecret, rendererOptions: { persistentOutput: true } },
              { title: 'Check that the chart renders', task: steps.renderChart },
            ],
            { concurrent: true },
          ),
      },
      { title: 'Install the release', task: steps.installRelease },
      { title: 'Run the Job and follow its logs', task: steps.followJob, rendererOptions: { outputBar: 15 } },
      { title: 'Copy the output', task: steps.copyJobOutput, rendererOptions: { persistentOutput: true } },
      { title: 'Uninstall the release and delete its PVC', task: steps.cleanUp, enabled: () => run.flags.cleanup, rendererOptions: { persistentOutput: true } },
    ],
    { ...listrOptions<typeof run>({ verbose: ctx.config.verbose }), ctx: run },
  );
  let failure: unknown;
  try {
    await pipeline.run();
  } catch (error) {
    failure = error;
    throw error;
  } finally {
    await steps.recordRun(run, failure);
    for (const line of steps.nextSteps(run)) ctx.ui.info(line);
  }
  if (ctx.config.dryRun) ctx.ui.success('Dry run done: nothing was changed.');
  else ctx.ui.success(`${app} run ${run.plan!.release} done.`);
}

async function doctor(ctx: CommandContext): Promise<void> {
  const { runChecks, formatCheck } = await import('./scripts/steps/doctor.ts');
  const { findApp } = await import('./scripts/apps/index.ts');
  const app = findApp(ctx.invocation.args.app ?? 'caelundas');
  const results = await runChecks(ctx, app.namespace);
  for (const result of results) ctx.ui.info(formatCheck(result));
  const failed = results.filter((result) => result.status === 'fail');
  const { DeckhandError } = await import('./scripts/lib/errors.ts');
  if (failed.length > 0) throw new DeckhandError(`${failed.length} check${failed.length === 1 ? '' : 's'} failed: ${failed.map((result) => result.name).join(', ')}.`, 'Fix the items marked ✖ above, then run `npx tsx tasks.ts doctor` again.');
  ctx.ui.success('Ready.');
}

async function apps(ctx: CommandContext): Promise<void> {
  const { APPS } = await import('./scripts/apps/index.ts');
  const { describeApps } = await import('./scripts/steps/apps.ts');
  ctx.ui.data(ctx.invocation.options.json ? JSON.stringify(describeApps(APPS, ctx.config), null, 2) : describeApps(APPS, ctx.config).map((app) => app.text).join('\n\n'));
}

export const COMMANDS: readonly CommandSpec[] = [
  {
    name: 'deploy',
    summary: 'Build and push the image, then run one release of a batch Job, follow its logs and copy its output back',
    details: [
      'Each run is its own Helm release named <app>-YYYYMMDD-HHMMSS (UTC): a Job\'s pod template cannot be changed, so',
      'a run is never an upgrade of an earlier one. The image is tagged sha-<commit> (plus the app version) and run by',
      'digest; the build is skipped when the registry already has the commit\'s image. Inputs come from the environment,',
      'then .env.<app>, then a prompt on a terminal. The output lands in output/<release>/ with a run.json record.',
    ].join('\n'),
    args: [{ name: 'app', description: 'The Job app to run (see `apps`)', required: true }],
    options: {
      image: { type: 'string', valueName: 'ref', description: 'Deploy this existing image (repo:tag or repo:tag@sha256:…) instead of building.' },
      rebuild: { type: 'boolean', description: 'Build and push even if the registry already has the image of this commit.' },
      'allow-dirty': { type: 'boolean', description: 'Build from a work tree with uncommitted changes (the tag says -dirty).' },
      cleanup: { type: 'boolean', description: 'After a verified copy, uninstall the release and delete its PVC.' },
      timeout: { type: 'string', valueName: 'duration', description: 'How long to wait for the Job (default 30m, or DECKHAND_JOB_TIMEOUT).' },
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
    process.stdout.write(`${(JSON.parse(readFileSync(`${REPO_ROOT}/package.json`, 'utf8')) as { version: string }).version}\n`);
    return EXIT_OK;
  }
  if (parsed.kind === 'help') {
    const help = await import('./scripts/cli/help.ts');
    const spec = commands.find((command) => command.name === parsed.topic);
    process.stdout.write(`${spec ? help.renderCommandHelp(spec) : help.renderOverview(commands)}\n`);
    return EXIT_OK;
  }

  const { spec, invocation } = parsed;
  const { createCommandContext } = await import('./scripts/lib/context.ts');
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
