/**
 * The steps of `deploy <job app>`. Each one observes, decides, acts and reports; tasks.ts puts them in order.
 * The run's facts travel in one typed object (DeployRun), written by the step that learns them.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ListrTaskWrapper } from 'listr2';
import { findJobApp, type JobApp } from '../../apps/index.ts';
import * as docker from '../../docker.ts';
import * as git from '../../git.ts';
import * as helm from '../../helm.ts';
import * as kubectl from '../../kubectl.ts';
import { collectAppInputs, readAppInputs } from '../../apps/inputs.ts';
import type { CommandContext } from '../../cli/context.ts';
import { DeckhandError, InterruptedError, MissingInputError, UsageError, formatMs } from '../../lib/errors.ts';
import { createTaskPrompter } from '../../lib/prompts.ts';
import type { Runner } from '../../lib/shell.ts';
import { targetBanner, type KubeTarget } from '../../lib/target.ts';
import {
  convergeNamespaceAndSecrets,
  dockerConfigJson,
  readLiveState,
  type LiveState,
  type SecretSpec,
} from '../cluster/namespace.ts';
import { copyOutput, formatBytes, type CopyResult } from './copy.ts';
import { watchJob, type WatchResult } from './watch.ts';
import { writeRunRecord, type RunOutcome } from './record.ts';
import { keptVolumeMessage, uninstallRelease } from './uninstall.ts';
import { imageReferenceProblem, planDeploy, type DeployFlags, type DeployPlan } from './plan.ts';

// listr2's wrapper type is generic in its renderers; the steps only use title/output/skip/prompt.
type Task = ListrTaskWrapper<DeployRun, any, any>;

export interface DeployRun {
  ctx: CommandContext;
  app: JobApp;
  flags: DeployFlags;
  namespace: string;
  tools: { docker?: string; helm?: string; kubectl?: string; buildx: boolean };
  git?: git.WorkTreeState;
  /** Undefined only in a dry run with no kubeconfig. */
  target?: KubeTarget;
  /** Reads against the cluster work (false in a dry run without a reachable cluster). */
  clusterReadable: boolean;
  /** A real run's cluster check and reads of the namespace and Secrets, started with the prerequisite checks. */
  clusterReads?: ClusterReads;
  /** Some inputs were typed at a prompt: time has passed since clusterReads, so they are read again. */
  inputsPrompted?: boolean;
  plan?: DeployPlan;
  inputs?: Record<string, string>;
  digest?: string;
  installed: boolean;
  /** The wait on the Job, started beside the install so no event or early log line is missed. */
  following?: Following;
  watch?: WatchResult;
  copy?: CopyResult;
  outcome?: RunOutcome;
  failure?: string;
}

/** Command-line checks that need no I/O; a UsageError here means exit 2 before anything ran. */
export function prepareDeploy(ctx: CommandContext): DeployRun {
  const { options, args } = ctx.invocation;
  const app = findJobApp(args.app, 'deploy');
  const flags: DeployFlags = {
    image: options.image as string | undefined,
    rebuild: options.rebuild === true,
    allowDirty: options['allow-dirty'] === true,
    cleanup: options.cleanup === true,
    dockerfile: options.dockerfile as string | undefined,
    buildContext: options['build-context'] as string | undefined,
  };
  if (flags.image) {
    const problem = imageReferenceProblem(flags.image);
    if (problem) throw new UsageError(`--image: ${problem}.`, 'Example: --image ghcr.io/me/caelundas:sha-1a2b3c4');
    if (flags.rebuild || flags.dockerfile || flags.buildContext)
      throw new UsageError(
        '--image deploys an existing image; it cannot be combined with --rebuild, --dockerfile or --build-context.',
      );
  }
  return {
    ctx,
    app,
    flags,
    namespace: ctx.config.kube.namespace ?? app.namespace,
    tools: { buildx: false },
    clusterReadable: false,
    installed: false,
  };
}

// ─── Check prerequisites ──────────────────────────────────────────────────────────────────────────────────────

export async function checkPrerequisites(run: DeployRun, task: Task): Promise<void> {
  const { ctx } = run;
  const { shell, config } = ctx;
  const notes: string[] = [];
  const problems: string[] = [];
  const needDocker = !run.flags.image;

  const tool = async (
    name: 'docker' | 'helm' | 'kubectl',
    argv: string[],
    parse: (stdout: string) => string,
    needed: boolean,
  ) => {
    const result = await shell.run(argv, { kind: 'read', nothrow: true, timeoutMs: 20_000 });
    if (result.exitCode === 0) {
      run.tools[name] = parse(result.stdout);
      notes.push(`${name} ${run.tools[name]}`);
    } else if (!needed) {
      notes.push(`${name} not found (not needed for this run)`);
    } else if (config.dryRun) {
      notes.push(`${name} not found: a real run needs it`);
    } else {
      problems.push(
        `${name} is not installed or does not run (${result.exitCode === 127 ? 'not on PATH' : result.stderr.trim().split('\n').pop()}). See the README's prerequisites.`,
      );
    }
  };

  // The cluster target first: a real run's cluster reads are the longest chain here (round trips to a remote API), so
  // they get their processes started before the local checks compete for the CPU.
  const [, , , , buildx, gitState] = await Promise.all([
    resolveClusterTarget(run, notes),
    tool('docker', docker.clientVersionArgs(), docker.parseClientVersion, needDocker),
    tool('helm', helm.versionArgs(), (out) => out.trim(), true),
    tool('kubectl', kubectl.clientVersionArgs(), kubectl.parseClientVersion, true),
    needDocker ? docker.hasBuildx(shell) : Promise.resolve(false),
    git.workTreeState(shell, config.repoRoot),
  ]);
  run.tools.buildx = buildx;
  run.git = gitState;
  notes.push(
    `commit ${gitState.shortCommit}${gitState.dirty ? ` with uncommitted changes (${gitState.changes.slice(0, 3).join(', ')}${gitState.changes.length > 3 ? ', …' : ''})` : ' (clean work tree)'}`,
  );
  // Only a build must match a commit; with --image nothing is built from the work tree.
  if (gitState.dirty && !run.flags.allowDirty && !run.flags.image) {
    const message = 'The work tree has uncommitted changes: the image would not match any commit.';
    if (config.dryRun) notes.push(`⚠ ${message} A real run refuses; commit first or pass --allow-dirty.`);
    else
      throw new UsageError(
        message,
        'Commit (or stash) the changes, or pass --allow-dirty to build anyway (the image tag then says "-dirty").',
      );
  }
  if (needDocker && !config.image.owner && !config.dryRun) {
    throw new MissingInputError('deploy needs to know where to push the image:', [
      {
        name: 'IMAGE_OWNER',
        howToProvide:
          'set IMAGE_OWNER=<your GitHub user or org> in .env or the environment, or pass --image REF to deploy an existing image',
      },
    ]);
  }
  if (problems.length > 0)
    throw new DeckhandError(
      `Missing tools:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`,
      'Install them (see README → Prerequisites) and run `npx tsx tasks.ts doctor`.',
    );

  for (const line of notes) task.output = line;
  task.output = run.target ? targetBanner(run.target) : `Target: no cluster (dry run) · namespace "${run.namespace}"`;
  task.title = `Checked prerequisites: ${[run.tools.docker && `docker ${run.tools.docker}`, run.tools.helm && `helm ${run.tools.helm}`, run.tools.kubectl && `kubectl ${run.tools.kubectl}`, `commit ${gitState.shortCommit}`].filter(Boolean).join(', ')}`;
}

async function resolveClusterTarget(run: DeployRun, notes: string[]): Promise<void> {
  const { ctx } = run;
  try {
    run.target = ctx.resolveTarget(run.app.namespace, { forWrite: true });
  } catch (error) {
    if (ctx.config.dryRun && error instanceof UsageError && /kubeconfig/i.test(error.message)) {
      notes.push(`no cluster: ${error.message} (dry run: cluster reads are skipped)`);
      return;
    }
    throw error;
  }
  // A real run starts its cluster reads now, beside the tool checks, and the step that prepares the namespace awaits
  // them: on a remote API (TLS, round trips) they need not hold up the checks or the image build. A dry run needs the
  // answer now, to know whether it can read the cluster's state at all.
  if (!ctx.config.dryRun) {
    run.clusterReads = startClusterReads(run, run.target);
    return;
  }
  try {
    const version = await kubectl.serverVersion(ctx.shell, run.target);
    run.clusterReadable = true;
    notes.push(`cluster ${run.target.server} answers (Kubernetes ${version})`);
  } catch {
    notes.push(`cluster ${run.target.server} does not answer (dry run: cluster reads are skipped)`);
  }
}

// ─── Plan ─────────────────────────────────────────────────────────────────────────────────────────────────────

export async function planRun(run: DeployRun, task: Task): Promise<void> {
  const { config } = run.ctx;
  const version = await readVersion(config.repoRoot, run.app.image.versionFile);
  const plan = planDeploy({
    app: run.app,
    config,
    flags: run.flags,
    namespace: run.target?.namespace ?? run.namespace,
    git: run.git!,
    version,
    now: new Date(),
  });
  run.plan = plan;
  task.title = `Plan release ${plan.release}`;
  const lines = [
    `release    ${plan.release} in namespace ${plan.namespace}`,
    `image      ${plan.image.repository}:${plan.image.tag}${plan.image.build ? ` (tags ${plan.image.pushTags.join(', ')}, ${plan.image.build.platform})` : ' (existing image, no build)'}`,
    `chart      ${plan.chart.path} with ${plan.chart.valuesFiles.map((file) => path.basename(file)).join(' + ')}`,
    `wait       up to ${formatMs(plan.jobTimeoutMs)} for the Job`,
    `output     ${path.relative(config.repoRoot, plan.outputDir)}/`,
  ];
  if (plan.image.build && !version)
    lines.push(`note       no ${run.app.image.versionFile ?? 'version file'}: the image is tagged sha-<commit> only`);
  for (const line of lines) task.output = line;
}

async function readVersion(repoRoot: string, versionFile: string | undefined): Promise<string | undefined> {
  if (!versionFile) return undefined;
  try {
    const version = (JSON.parse(await readFile(path.join(repoRoot, versionFile), 'utf8')) as { version?: string })
      .version;
    return version && /^[\w][\w.-]{0,127}$/.test(version) ? version : undefined;
  } catch {
    return undefined;
  }
}

// ─── Inputs ───────────────────────────────────────────────────────────────────────────────────────────────────

export async function collectInputs(run: DeployRun, task: Task): Promise<void> {
  const { ctx, app } = run;
  if (ctx.config.dryRun && !ctx.prompter.interactive) {
    // A dry run shows the plan even before the inputs exist; it says which ones a real run still needs.
    const { values, missing } = readAppInputs(app, ctx.config, ctx.masker);
    run.inputs = { ...values, ...Object.fromEntries(missing.map((input) => [input.key, `<${input.key}>`])) };
    if (missing.length > 0)
      task.output = `A real run needs ${missing.map((input) => input.key).join(', ')} (set them in ${app.secret.envFile}); placeholders are used here.`;
    task.title = `Collected ${app.name} inputs (${Object.keys(values).length} of ${app.secret.inputs.length} set)`;
    return;
  }
  const prompter = ctx.prompter.interactive ? createTaskPrompter(task as never, { interactive: true }) : ctx.prompter;
  const { values, sources } = await collectAppInputs(app, ctx.config, ctx.masker, prompter);
  run.inputs = values;
  run.inputsPrompted = Object.values(sources).includes('prompt');
  for (const input of app.secret.inputs)
    task.output = `${input.key.padEnd(12)} from ${sources[input.key] === 'env file' ? app.secret.envFile : sources[input.key]}${input.sensitive ? ' (sensitive, masked)' : `: ${values[input.key]}`}`;
  task.title = `Collected ${app.name} inputs (${app.secret.inputs.length} of ${app.secret.inputs.length})`;
}

// ─── Image ────────────────────────────────────────────────────────────────────────────────────────────────────

export async function buildImage(run: DeployRun, task: Task): Promise<void> {
  const plan = run.plan!;
  const build = plan.image.build;
  if (!build) {
    task.skip(
      `Using the existing image ${plan.image.repository}:${plan.image.tag}${plan.image.digest ? `@${plan.image.digest}` : ''}`,
    );
    return;
  }
  const { config } = run.ctx;
  const shell = taskShell(run, task);
  const primary = `${plan.image.repository}:${plan.image.tag}`;
  const insecure = docker.isLoopbackRegistry(config.image.registry);

  if (!run.flags.rebuild && !run.git!.dirty) {
    const existing = await registryDigest(
      shell,
      primary,
      insecure,
      (reason) => (task.output = `${primary} is not in the registry yet (${reason}): building it.`),
    );
    if (existing) {
      run.digest = existing;
      task.skip(
        `${primary} is already in the registry (built from commit ${run.git!.shortCommit}): reusing ${existing.slice(0, 19)}…; pass --rebuild to build again`,
      );
      return;
    }
  }
  task.title = `Build and push ${primary}`;
  if (config.githubToken && !insecure) {
    await shell.run(docker.loginArgs(config.image.registry, config.image.user ?? 'deckhand'), {
      kind: 'write',
      input: config.githubToken,
      hint: 'Check GITHUB_TOKEN: it needs the write:packages scope.',
    });
  }
  const tags = plan.image.pushTags.map((tag) => `${plan.image.repository}:${tag}`);
  // Relative to the project (the commands run there), so what is printed is what a person would type.
  const dockerfile = build.dockerfile;
  const context = build.context;
  const buildTimeoutMs = 30 * 60_000;
  const progress = {
    onStderrLine: (line: string) => (task.output = line),
    onStdoutLine: (line: string) => (task.output = line),
  };
  const pushHint = `Log in first (docker login ${config.image.registry}) or set GITHUB_TOKEN, and check IMAGE_OWNER.`;

  if (run.tools.buildx) {
    const metadataDir = await mkdtemp(path.join(os.tmpdir(), 'deckhand-buildx-'));
    const metadataFile = path.join(metadataDir, 'metadata.json');
    try {
      await shell.run(
        docker.buildxBuildArgs({
          dockerfile,
          context,
          tags,
          platform: build.platform,
          labels: build.labels,
          push: true,
          metadataFile,
        }),
        { kind: 'write', timeoutMs: buildTimeoutMs, cwd: config.repoRoot, hint: pushHint, ...progress },
      );
      if (!shell.dryRun) run.digest = await digestFromMetadata(metadataFile);
    } finally {
      await rm(metadataDir, { recursive: true, force: true });
    }
  } else {
    task.output =
      "docker buildx is not installed: building with the classic builder (for this machine's platform), then pushing with docker push.";
    await shell.run(
      docker.classicBuildArgs({ dockerfile, context, tags, platform: build.platform, labels: build.labels }),
      { kind: 'write', timeoutMs: buildTimeoutMs, cwd: config.repoRoot, ...progress },
    );
    for (const tag of tags) {
      const pushed = await shell.run(docker.pushArgs(tag), {
        kind: 'write',
        timeoutMs: buildTimeoutMs,
        hint: pushHint,
        ...progress,
      });
      run.digest ??= docker.digestFromPushOutput(pushed.stdout);
    }
  }
  if (!shell.dryRun && !run.digest)
    throw new DeckhandError(
      `The push of ${primary} did not report a digest.`,
      'Run again with --verbose to see the push output.',
    );
  task.title = shell.dryRun
    ? `Build and push ${primary} (dry run)`
    : `Built and pushed ${primary} (${run.digest!.slice(0, 19)}…)`;
}

/** The digest of a tag in the registry, or undefined when the registry does not have it. */
async function registryDigest(
  shell: Runner,
  reference: string,
  insecure: boolean,
  onMissing: (reason: string) => void,
): Promise<string | undefined> {
  const result = await shell.run(docker.manifestInspectArgs(reference, insecure, { verbose: true }), {
    kind: 'read',
    nothrow: true,
    timeoutMs: 60_000,
  });
  if (result.exitCode !== 0) {
    onMissing(result.stderr.trim().split('\n').pop() || `exit ${result.exitCode}`);
    return undefined;
  }
  const parsed = JSON.parse(result.stdout) as
    | { Descriptor?: { digest?: string; platform?: { architecture?: string } } }
    | { Descriptor?: { digest?: string; platform?: { architecture?: string } } }[];
  // A multi-platform index lists one entry per platform: the amd64 one is what LKE nodes pull.
  const entries = Array.isArray(parsed) ? parsed : [parsed];
  const amd64 =
    entries.find((entry) => entry.Descriptor?.platform?.architecture === 'amd64') ??
    (Array.isArray(parsed) ? undefined : entries[0]);
  return amd64?.Descriptor?.digest;
}

async function digestFromMetadata(file: string): Promise<string | undefined> {
  try {
    return (JSON.parse(await readFile(file, 'utf8')) as Record<string, string>)['containerimage.digest'];
  } catch {
    return undefined;
  }
}

// ─── Cluster: namespace, Secret, chart ────────────────────────────────────────────────────────────────────────

export async function prepareNamespaceAndSecret(run: DeployRun, task: Task): Promise<void> {
  const plan = run.plan!;
  const { config } = run.ctx;
  const target = run.target ?? placeholderTarget(plan.namespace);
  const shell = taskShell(run, task);
  const secrets: SecretSpec[] = [
    {
      name: run.app.secret.name,
      namespace: plan.namespace,
      values: run.inputs!,
      labels: { 'app.kubernetes.io/part-of': run.app.name },
    },
  ];
  const pullSecret = pullSecretName(run);
  if (config.pullToken) {
    const registry = config.image.registry;
    secrets.push({
      name: pullSecret,
      namespace: plan.namespace,
      type: 'kubernetes.io/dockerconfigjson',
      values: {
        '.dockerconfigjson': dockerConfigJson(
          registry,
          config.pullUser ?? config.image.user ?? 'deckhand',
          config.pullToken,
        ),
      },
    });
    plan.setString['imagePullSecrets[0].name'] = pullSecret;
  }
  let live: LiveState = { secrets: {} };
  if (!shell.dryRun) {
    // Reads taken before someone typed at a prompt may be stale: those are replaced by fresh ones.
    let reads = run.clusterReads;
    if (!reads || run.inputsPrompted) {
      reads?.stop();
      reads = startClusterReads(run, target);
    }
    const { version, state } = await reads.settled;
    for (const line of reads.lines) task.output = line;
    // When the cluster does not answer, its check's error (with the kubeconfig hint) is the one reported.
    if (version.status === 'rejected') throw version.reason;
    run.clusterReadable = true;
    task.output = `Cluster ${target.server} answers (Kubernetes ${version.value})`;
    if (state.status === 'rejected') throw state.reason;
    live = state.value;
  } else if (run.clusterReadable) {
    live = await readLiveState(
      shell,
      target,
      plan.namespace,
      secrets.map((secret) => secret.name),
    );
  }
  const report = await convergeNamespaceAndSecrets(shell, target, plan.namespace, secrets, live);
  const outcome = (result: string) => (shell.dryRun ? 'checked' : result);
  task.output = `Namespace ${plan.namespace}: ${outcome(report.namespace)} (Pod Security: restricted)`;
  const appSecret = report.secrets[run.app.secret.name]!;
  task.output = `Secret ${run.app.secret.name}: ${outcome(appSecret.result)}${appSecret.result === 'updated' && !shell.dryRun ? ` (changed: ${appSecret.changed.join(', ')})` : ''}`;
  if (config.pullToken)
    task.output = `Image pull secret ${pullSecret} for ${config.image.registry}: ${outcome(report.secrets[pullSecret]!.result)}`;
  task.title = `Prepared namespace ${plan.namespace} and Secret ${run.app.secret.name}`;
}

/** The cluster check and the reads of the namespace and Secrets, in flight together (all reads). */
export interface ClusterReads {
  /** Settled, never rejected: whoever awaits decides which failure to report. */
  settled: Promise<{ version: PromiseSettledResult<string>; state: PromiseSettledResult<LiveState> }>;
  /** The reads' echo lines (--verbose), kept until the step that uses the reads shows them. */
  lines: string[];
  /** Ends reads still running (a run that failed before it needed them must not wait for them). */
  stop(): void;
}

export function startClusterReads(run: DeployRun, target: KubeTarget): ClusterReads {
  const lines: string[] = [];
  const stopper = new AbortController();
  const shell = run.ctx.shell.withLog((line) => lines.push(line)).withStopSignal(stopper.signal);
  const names = [run.app.secret.name, ...(run.ctx.config.pullToken ? [pullSecretName(run)] : [])];
  const settled = Promise.allSettled([
    kubectl.serverVersion(shell, target),
    readLiveState(shell, target, target.namespace, names),
  ]).then(([version, state]) => ({ version, state }));
  return { settled, lines, stop: () => stopper.abort() };
}

/** Ends work started ahead that the run did not get to use. */
export function stopReadsAhead(run: DeployRun): void {
  run.clusterReads?.stop();
}

function pullSecretName(run: DeployRun): string {
  return `${run.app.name}-registry`;
}

export async function renderChart(run: DeployRun, task: Task): Promise<void> {
  const plan = run.plan!;
  if (!run.tools.helm) {
    task.skip('helm is not installed: the chart is not rendered');
    return;
  }
  const shell = taskShell(run, task);
  const result = await shell.run(
    helm.templateArgs({
      release: plan.release,
      chart: plan.chart.path,
      namespace: plan.namespace,
      valuesFiles: plan.chart.valuesFiles,
      setString: withDigest(run),
    }),
    {
      kind: 'read',
      cwd: run.ctx.config.repoRoot,
      hint: 'The values do not pass the chart schema; fix the values file named above.',
    },
  );
  const kinds = [...result.stdout.matchAll(/^kind: (\S+)$/gm)].map((match) => match[1]!);
  task.title = `Chart renders: ${kinds.join(', ')}`;
  if (shell.dryRun) for (const line of result.stdout.trimEnd().split('\n')) task.output = line;
}

// ─── Release ──────────────────────────────────────────────────────────────────────────────────────────────────

export async function installRelease(run: DeployRun, task: Task): Promise<void> {
  const plan = run.plan!;
  const target = run.target ?? placeholderTarget(plan.namespace);
  task.title = `Install release ${plan.release}`;
  const shell = taskShell(run, task);
  // The watches start first: they see the Job appear, and the wait loses no time after helm returns.
  if (!shell.dryRun) run.following = startFollowing(run, target);
  try {
    await shell.run(
      helm.upgradeInstallArgs(target, {
        release: plan.release,
        chart: plan.chart.path,
        namespace: plan.namespace,
        valuesFiles: plan.chart.valuesFiles,
        setString: withDigest(run),
        timeoutMs: 5 * 60_000,
      }),
      {
        kind: 'write',
        cwd: run.ctx.config.repoRoot,
        timeoutMs: 6 * 60_000,
      },
    );
  } catch (error) {
    run.following?.stop();
    throw error;
  }
  run.installed = !shell.dryRun;
  const reference = `${plan.image.repository}:${plan.image.tag}${run.digest ? `@${run.digest}` : ''}`;
  task.title = shell.dryRun
    ? `Install release ${plan.release} (dry run)`
    : `Installed release ${plan.release} running ${reference}`;
}

function withDigest(run: DeployRun): Record<string, string> {
  const setString = { ...run.plan!.setString };
  if (run.digest) setString['image.digest'] = run.digest;
  return setString;
}

// ─── Job ──────────────────────────────────────────────────────────────────────────────────────────────────────

export async function followJob(run: DeployRun, task: Task): Promise<void> {
  const plan = run.plan!;
  const target = run.target ?? placeholderTarget(plan.namespace);
  const shell = taskShell(run, task);
  task.title = `Run Job ${plan.release} and follow its logs`;
  if (shell.dryRun) {
    task.output = `[dry run] would watch: ${shell.display(kubectl.watchArgs(target, plan.namespace, 'job', plan.release))}`;
    task.output = `[dry run] would stream: ${shell.display(kubectl.logsArgs(target, plan.namespace, `<pod of job ${plan.release}>`, { container: run.app.name, follow: true }))}`;
    return;
  }
  const started = Date.now();
  const following = run.following ?? startFollowing(run, target);
  following.attach((line) => (task.output = line));
  const result = await following.result;
  run.watch = result;
  const elapsed = formatMs(Date.now() - started);
  const keep = `The release ${plan.release} and its PVC were kept. Logs: npx tsx tasks.ts logs ${run.app.name} --release ${plan.release} · clean up: npx tsx tasks.ts uninstall ${run.app.name} --release ${plan.release}`;
  switch (result.outcome) {
    case 'complete':
      run.outcome = 'complete';
      task.title = `Job ${plan.release} completed in ${elapsed}`;
      return;
    case 'failed': {
      run.outcome = 'failed';
      run.failure = result.diagnosis.summary;
      const logs =
        result.lastLogLines.length > 0
          ? `\nLast log lines:\n${result.lastLogLines.map((line) => `  │ ${line}`).join('\n')}`
          : '';
      throw new DeckhandError(
        `Job ${plan.release} failed after ${elapsed}: ${result.diagnosis.summary}${logs}`,
        `${result.diagnosis.fix}\n  ${keep}`,
      );
    }
    case 'timeout':
      run.outcome = 'timeout';
      run.failure = `did not finish within ${formatMs(plan.jobTimeoutMs)}`;
      throw new DeckhandError(
        `Job ${plan.release} did not finish within ${formatMs(plan.jobTimeoutMs)}${result.note ? `: ${result.note}` : ''}.`,
        `It keeps running in the cluster. Follow it: npx tsx tasks.ts logs ${run.app.name} --release ${plan.release}; copy its output when done: npx tsx tasks.ts copy ${run.app.name} --release ${plan.release}. Wait longer next time with --timeout.`,
      );
    case 'deleted':
      run.outcome = 'error';
      run.failure = 'the Job was deleted before it finished';
      throw new DeckhandError(
        `Job ${plan.release} was deleted before it finished.`,
        `Someone (or its TTL) removed it; the PVC may still hold output: npx tsx tasks.ts copy ${run.app.name} --release ${plan.release}`,
      );
  }
}

/** A wait on the Job whose lines are held until a task shows them. */
interface Following {
  result: Promise<WatchResult>;
  attach(sink: (line: string) => void): void;
  stop(): void;
}

function startFollowing(run: DeployRun, target: KubeTarget): Following {
  const plan = run.plan!;
  const held: string[] = [];
  let sink: ((line: string) => void) | undefined;
  const emit = (line: string) => (sink ? sink(line) : held.push(line));
  const stop = new AbortController();
  const result = watchJob({
    shell: run.ctx.shell.withLog(emit),
    target,
    namespace: plan.namespace,
    job: plan.release,
    timeoutMs: plan.jobTimeoutMs,
    pvcNames: [plan.release],
    stopSignal: stop.signal,
    onLogLine: (line) => emit(`│ ${line}`),
    onNote: emit,
  });
  // Nobody awaits the wait when the install fails and stops it; that rejection is expected.
  result.catch(() => undefined);
  return {
    result,
    attach(next) {
      sink = next;
      for (const line of held.splice(0)) next(line);
    },
    stop: () => stop.abort(),
  };
}

// ─── Output ───────────────────────────────────────────────────────────────────────────────────────────────────

export async function copyJobOutput(run: DeployRun, task: Task): Promise<void> {
  const plan = run.plan!;
  const target = run.target ?? placeholderTarget(plan.namespace);
  const shell = taskShell(run, task);
  const relative = path.relative(run.ctx.config.repoRoot, plan.outputDir);
  task.title = `Copy the output to ${relative}/`;
  try {
    run.copy = await copyOutput({
      shell,
      target,
      namespace: plan.namespace,
      release: plan.release,
      pvcName: plan.release,
      destination: plan.outputDir,
      helperImage: plan.helperImage,
      log: (line) => (task.output = line),
    });
  } catch (error) {
    if (error instanceof DeckhandError && !(error instanceof InterruptedError)) {
      throw new DeckhandError(
        error.message,
        `${error.fix ?? ''} Nothing was deleted. Retry: npx tsx tasks.ts copy ${run.app.name} --release ${plan.release}`.trim(),
      );
    }
    throw error;
  }
  task.title = shell.dryRun
    ? `Copy the output to ${relative}/ (dry run)`
    : `Copied ${run.copy.files.length} file${run.copy.files.length === 1 ? '' : 's'} (${formatBytes(run.copy.totalBytes)}) to ${relative}/`;
}

// ─── Clean up ─────────────────────────────────────────────────────────────────────────────────────────────────

export async function cleanUp(run: DeployRun, task: Task): Promise<void> {
  const plan = run.plan!;
  const shell = taskShell(run, task);
  if (!shell.dryRun && !run.copy) {
    task.skip('The output was not copied and verified: nothing is deleted.');
    return;
  }
  const target = run.target ?? placeholderTarget(plan.namespace);
  task.title = `Uninstall ${plan.release} and delete its PVC`;
  if (shell.dryRun) {
    // Nothing was installed in a dry run, so there is nothing to observe: show the two writes a real run starts with.
    await shell.run(helm.uninstallArgs(target, plan.namespace, plan.release, { wait: true, timeoutMs: 5 * 60_000 }), {
      kind: 'write',
    });
    await shell.run(
      kubectl.deleteArgs(target, 'persistentvolumeclaim', plan.release, {
        namespace: plan.namespace,
        wait: true,
        timeoutMs: 5 * 60_000,
      }),
      { kind: 'write' },
    );
    task.title = `Uninstall ${plan.release} and delete its PVC (dry run)`;
    return;
  }
  // The same path as `tasks.ts uninstall`; a Retained volume is kept (deleting it is a separate, explicit choice).
  const result = await uninstallRelease({
    shell,
    target,
    namespace: plan.namespace,
    release: plan.release,
    app: run.app.name,
    deleteRetainedVolumes: false,
    log: (line) => (task.output = line),
  });
  task.title = `Uninstalled ${plan.release} and deleted its PVC`;
  for (const { volume, action } of result.volumes)
    if (action === 'kept') task.output = keptVolumeMessage(run.app.name, plan.release, volume);
}

// ─── After the run ────────────────────────────────────────────────────────────────────────────────────────────

export async function recordRun(run: DeployRun, error: unknown): Promise<void> {
  const plan = run.plan;
  if (!plan || !run.installed) return;
  const outcome: RunOutcome =
    run.outcome ?? (error instanceof InterruptedError ? 'interrupted' : error ? 'error' : 'complete');
  const file = await writeRunRecord(plan.outputDir, {
    app: run.app.name,
    release: plan.release,
    namespace: plan.namespace,
    context: run.target?.context ?? '',
    server: run.target?.server ?? '',
    image: {
      repository: plan.image.repository,
      tag: plan.image.tag,
      digest: run.digest,
      reference: `${plan.image.repository}:${plan.image.tag}${run.digest ? `@${run.digest}` : ''}`,
    },
    commit: run.git?.commit ?? '',
    valuesFiles: plan.chart.valuesFiles,
    startedAt: plan.startedAt,
    endedAt: new Date().toISOString(),
    outcome,
    failure:
      run.failure ?? (error instanceof Error && outcome !== 'complete' ? error.message.split('\n')[0] : undefined),
    copy: { verified: Boolean(run.copy), files: run.copy?.files ?? [], totalBytes: run.copy?.totalBytes ?? 0 },
  });
  run.ctx.ui.info(`Run record: ${path.relative(run.ctx.config.repoRoot, file)}`);
}

/** What to do next, with the exact commands. */
export function nextSteps(run: DeployRun): string[] {
  const plan = run.plan;
  if (!plan || run.ctx.config.dryRun) return [];
  const app = run.app.name;
  if (run.copy && plan.cleanup) return [`Output: ${path.relative(run.ctx.config.repoRoot, plan.outputDir)}/`];
  if (run.copy) {
    return [
      `Output: ${path.relative(run.ctx.config.repoRoot, plan.outputDir)}/`,
      `The release and its PVC are kept. When you no longer need them:`,
      `  npx tsx tasks.ts uninstall ${app} --release ${plan.release}`,
    ];
  }
  if (run.installed) {
    return [
      'Next steps:',
      `  npx tsx tasks.ts logs ${app} --release ${plan.release}        # the Job's logs`,
      `  npx tsx tasks.ts copy ${app} --release ${plan.release}        # copy its output when it is done`,
      `  npx tsx tasks.ts uninstall ${app} --release ${plan.release}   # remove the release and its PVC`,
    ];
  }
  return [];
}

/** A runner whose dry-run lines and echo go into the task's output. */
function taskShell(run: DeployRun, task: Task): Runner {
  return run.ctx.shell.withLog((line) => (task.output = line));
}

/** In a dry run without a kubeconfig, commands are still printed in full, with visible placeholders. */
function placeholderTarget(namespace: string): KubeTarget {
  return {
    kubeconfig: '<kubeconfig>',
    context: '<context>',
    cluster: '<cluster>',
    server: '<no cluster>',
    namespace,
    explicit: false,
    kubeconfigSource: 'none',
  };
}
