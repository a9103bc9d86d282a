/**
 * The steps of `deploy <job app>` up to the install: prerequisites, plan, inputs, image, namespace and the run's
 * inputs Secret, chart check (the install itself is in claim.ts). Each one observes, decides, acts and reports;
 * tasks.ts puts them in order.
 */
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { collectAppInputs, readAppInputs } from '../../apps/inputs.ts';
import * as docker from '../../docker.ts';
import * as git from '../../git.ts';
import * as helm from '../../helm.ts';
import * as kubectl from '../../kubectl.ts';
import { DeckhandError, MissingInputError, UsageError, formatMs } from '../../lib/errors.ts';
import { deckhand } from '../../lib/hints.ts';
import { toolProblem } from '../checks/install-hints.ts';
import type { StepTask } from '../../lib/pipeline.ts';
import { targetBanner, type KubeTarget } from '../../lib/target.ts';
import { probeTools, type ToolProbe } from '../checks/tools.ts';
import { buildAndPush } from '../image/build.ts';
import { resolveExistingImage } from '../image/existing.ts';
import {
  convergeNamespaceAndSecrets,
  dockerConfigJson,
  readLiveState,
  refuseSystemNamespace,
  type LiveState,
  type SecretSpec,
} from '../cluster/namespace.ts';
import { startClusterReads, type ClusterReads } from '../cluster/reads.ts';
import { createInputsSecret } from './claim.ts';
import { releaseValues, targetOf, taskShell, type DeployRun } from './deploy-run.ts';
import { planDeploy } from './plan.ts';

// ─── Check prerequisites ──────────────────────────────────────────────────────────────────────────────────────

export async function checkPrerequisites(run: DeployRun, task: StepTask): Promise<void> {
  const { shell, config } = run.deps;
  const notes: string[] = [];
  const needDocker = !run.flags.image;

  // The cluster target first: a real run's cluster reads are the longest chain here (round trips to a remote API), so
  // they get their processes started before the local checks compete for the CPU.
  const [, probes, buildx, gitState] = await Promise.all([
    resolveClusterTarget(run, notes),
    probeTools(shell, ['docker', 'helm', 'kubectl']),
    needDocker ? docker.hasBuildx(shell) : Promise.resolve(false),
    git.workTreeState(shell, config.repoRoot),
  ]);
  const problems: string[] = [];
  const judge = (probe: ToolProbe, needed: boolean) => {
    if (probe.found) {
      run.tools[probe.name as 'docker' | 'helm' | 'kubectl'] = probe.version;
      notes.push(`${probe.name} ${probe.version}`);
    } else if (!needed) {
      notes.push(`${probe.name} not found (not needed for this run)`);
    } else if (config.dryRun) {
      notes.push(`${probe.name} not found: a real run needs it`);
    } else {
      problems.push(toolProblem(probe));
    }
  };
  judge(probes.docker, needDocker);
  judge(probes.helm, true);
  judge(probes.kubectl, true);
  run.tools.buildx = buildx;
  run.git = gitState;
  const changes = `${gitState.changes.slice(0, 3).join(', ')}${gitState.changes.length > 3 ? ', …' : ''}`;
  notes.push(
    `commit ${gitState.shortCommit}${gitState.dirty ? ` with uncommitted changes (${changes})` : ' (clean work tree)'}`,
  );
  // Only a build must match a commit; with --image nothing is built from the work tree.
  if (gitState.dirty && !run.flags.allowDirty && !run.flags.image) {
    const message = 'The work tree has uncommitted changes: the image would not match any commit.';
    if (config.dryRun) notes.push(`⚠ ${message} A real run refuses; commit first or pass --allow-dirty.`);
    else {
      throw new UsageError(
        message,
        'Commit (or stash) the changes, or pass --allow-dirty to build anyway (the image tag then says "-dirty").',
      );
    }
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
  if (problems.length > 0) {
    throw new DeckhandError(
      `Missing tools:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`,
      `Install them, then run again (\`${deckhand('doctor')}\` checks every tool).`,
    );
  }
  for (const line of notes) task.output = line;
  task.output = run.target ? targetBanner(run.target) : `Target: no cluster (dry run) · namespace "${run.namespace}"`;
  const versions = [
    run.tools.docker && `docker ${run.tools.docker}`,
    run.tools.helm && `helm ${run.tools.helm}`,
    run.tools.kubectl && `kubectl ${run.tools.kubectl}`,
    `commit ${gitState.shortCommit}`,
  ];
  task.title = `Checked prerequisites: ${versions.filter(Boolean).join(', ')}`;
}

async function resolveClusterTarget(run: DeployRun, notes: string[]): Promise<void> {
  const { config, shell } = run.deps;
  try {
    run.target = run.deps.resolveTarget(run.app.namespace, { forWrite: true });
  } catch (error) {
    if (config.dryRun && error instanceof UsageError && /kubeconfig/i.test(error.message)) {
      notes.push(`no cluster: ${error.message} (dry run: cluster reads are skipped)`);
      return;
    }
    throw error;
  }
  // A real run starts its cluster reads now, beside the tool checks, and the step that prepares the namespace awaits
  // them: on a remote API (TLS, round trips) they need not hold up the checks or the image build. A dry run needs the
  // answer now, to know whether it can read the cluster's state at all.
  if (!config.dryRun) {
    run.clusterReads = startReadsAhead(run, run.target);
    return;
  }
  try {
    const version = await kubectl.serverVersion(shell, run.target);
    run.clusterReadable = true;
    notes.push(`cluster ${run.target.server} answers (Kubernetes ${version})`);
  } catch {
    notes.push(`cluster ${run.target.server} does not answer (dry run: cluster reads are skipped)`);
  }
}

/**
 * The cluster check and the reads of the namespace and of the Secret a run applies — the image pull secret, when a
 * pull token is configured — in flight together. The run's own inputs Secret is not read: it is created (or found
 * taken) in one request.
 */
export function startReadsAhead(run: DeployRun, target: KubeTarget): ClusterReads {
  const names = run.deps.config.pullToken ? [`${run.app.name}-registry`] : [];
  return startClusterReads(run.deps.shell, target, names);
}

// ─── Plan ─────────────────────────────────────────────────────────────────────────────────────────────────────

export async function planRun(run: DeployRun, task: StepTask): Promise<void> {
  const { config } = run.deps;
  const version = await readVersion(config.repoRoot, run.app.image.versionFile);
  const plan = planDeploy({
    app: run.app,
    config,
    flags: run.flags,
    namespace: run.target?.namespace ?? run.namespace,
    cluster: run.target?.cluster ?? '<cluster>',
    git: run.git!,
    version,
    now: new Date(),
    runId: randomUUID(),
  });
  run.plan = plan;
  task.title = `Plan release ${plan.release}`;
  const image = plan.image.build
    ? `${plan.image.repository}:${plan.image.tag} (tags ${plan.image.pushTags.join(', ')}, ${plan.image.build.platform})`
    : `${plan.image.given} (existing image, no build)`;
  const lines = [
    `release    ${plan.release} in namespace ${plan.namespace} (a suffix is added if another run took the name)`,
    `image      ${image}`,
    `chart      ${plan.chart.path} with ${plan.chart.valuesFiles.map((file) => path.basename(file)).join(' + ')}`,
    `inputs     Secret ${plan.inputsSecret}, this run's own`,
    `wait       up to ${formatMs(plan.jobTimeoutMs)} for the Job`,
    `output     ${path.relative(config.repoRoot, plan.filesDir)}/ (record: run.json beside it)`,
  ];
  if (plan.image.build && !version) {
    lines.push(`note       no ${run.app.image.versionFile ?? 'version file'}: the image is tagged sha-<commit> only`);
  }
  for (const line of lines) task.output = line;
}

async function readVersion(repoRoot: string, versionFile: string | undefined): Promise<string | undefined> {
  if (!versionFile) return undefined;
  try {
    const manifest = JSON.parse(await readFile(path.join(repoRoot, versionFile), 'utf8')) as { version?: string };
    return manifest.version && /^[\w][\w.-]{0,127}$/.test(manifest.version) ? manifest.version : undefined;
  } catch {
    return undefined;
  }
}

// ─── Inputs ───────────────────────────────────────────────────────────────────────────────────────────────────

export async function collectInputs(run: DeployRun, task: StepTask): Promise<void> {
  const { app } = run;
  const { config, masker } = run.deps;
  if (config.dryRun && !task.prompter.interactive) {
    // A dry run shows the plan even before the inputs exist; it says which ones a real run still needs.
    const { values, missing } = readAppInputs(app, config, masker);
    run.inputs = { ...values, ...Object.fromEntries(missing.map((input) => [input.key, `<${input.key}>`])) };
    if (missing.length > 0) {
      task.output = `A real run needs ${missing.map((input) => input.key).join(', ')} (set them in ${app.secret.envFile}); placeholders are used here.`;
    }
    task.title = `Collected ${app.name} inputs (${Object.keys(values).length} of ${app.secret.inputs.length} set)`;
    return;
  }
  const { values, sources } = await collectAppInputs(app, config, masker, task.prompter);
  run.inputs = values;
  run.inputsPrompted = Object.values(sources).includes('prompt');
  for (const input of app.secret.inputs) {
    const source = sources[input.key] === 'env file' ? app.secret.envFile : sources[input.key];
    task.output = `${input.key.padEnd(12)} from ${source}${input.sensitive ? ' (sensitive, masked)' : `: ${values[input.key]}`}`;
  }
  task.title = `Collected ${app.name} inputs (${app.secret.inputs.length} of ${app.secret.inputs.length})`;
}

// ─── Image ────────────────────────────────────────────────────────────────────────────────────────────────────

export async function buildImage(run: DeployRun, task: StepTask): Promise<void> {
  const plan = run.plan!;
  if (!plan.image.build) {
    const resolved = await resolveExistingImage(
      { shell: taskShell(run, task), image: plan.image, docker: run.tools.docker !== undefined },
      task,
    );
    if (resolved.digest) run.digest = resolved.digest;
    if (resolved.digestFrom) run.digestFrom = resolved.digestFrom;
    return;
  }
  const digest = await buildAndPush(
    {
      shell: taskShell(run, task),
      config: run.deps.config,
      image: plan.image,
      rebuild: run.flags.rebuild,
      dirty: run.git!.dirty,
      buildx: run.tools.buildx,
      shortCommit: run.git!.shortCommit,
    },
    task,
  );
  if (digest) {
    run.digest = digest;
    run.digestFrom = 'build';
  }
}

// ─── Cluster: namespace, Secret, chart ────────────────────────────────────────────────────────────────────────

export async function prepareNamespaceAndSecret(run: DeployRun, task: StepTask): Promise<void> {
  const plan = run.plan!;
  const { config } = run.deps;
  const target = targetOf(run, plan.namespace);
  const shell = taskShell(run, task);
  const secrets: SecretSpec[] = [];
  if (plan.pullSecret && config.pullToken) {
    const { name, registry, user } = plan.pullSecret;
    secrets.push({
      name,
      namespace: plan.namespace,
      type: 'kubernetes.io/dockerconfigjson',
      values: { '.dockerconfigjson': dockerConfigJson(registry, user, config.pullToken) },
    });
  }
  let live: LiveState = { secrets: {} };
  if (!shell.dryRun) {
    // Reads taken before someone typed at a prompt may be stale: those are replaced by fresh ones.
    let reads = run.clusterReads;
    if (!reads || run.inputsPrompted) {
      reads?.stop();
      reads = startReadsAhead(run, target);
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
  if (run.clusterReadable)
    await refuseSystemNamespace(shell, target, plan.namespace, live.namespace, run.app.namespace);
  const report = await convergeNamespaceAndSecrets(shell, target, plan.namespace, secrets, live);
  const outcome = (result: string) => (shell.dryRun ? 'checked' : result);
  task.output =
    report.namespace === 'kept'
      ? `Namespace ${plan.namespace}: exists and was not created by deckhand, so its labels are left as they are (deckhand does not set Pod Security there)`
      : `Namespace ${plan.namespace}: ${outcome(report.namespace)} (Pod Security: restricted)`;
  if (plan.pullSecret) {
    const pull = report.secrets[plan.pullSecret.name]!;
    task.output = `Image pull secret ${plan.pullSecret.name} for ${plan.pullSecret.registry}: ${outcome(pull.result)}`;
  }
  // The run's inputs go into a Secret of its own, created (never updated) before its release: a later run can never
  // change what a retried pod of this one reads, and a name another run holds is found taken in the same request.
  const wanted = plan.release;
  await createInputsSecret(run, shell, target);
  const claimed = run.plan!;
  if (claimed.release !== wanted)
    task.output = `Release name ${wanted} is taken by another run started in the same second: this run is ${claimed.release}`;
  task.output = `Secret ${claimed.inputsSecret}: ${shell.dryRun ? 'would be created' : 'created'} (this run's inputs)`;
  task.title = `Prepared namespace ${plan.namespace} and Secret ${claimed.inputsSecret}`;
}

/** Ends work started ahead that the run did not get to use. */
export function stopReadsAhead(run: DeployRun): void {
  run.clusterReads?.stop();
}

export async function renderChart(run: DeployRun, task: StepTask): Promise<void> {
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
      setString: releaseValues(run),
    }),
    {
      kind: 'read',
      cwd: run.deps.config.repoRoot,
      hint: 'The values do not pass the chart schema; fix the values file named above.',
    },
  );
  const kinds = [...result.stdout.matchAll(/^kind: (\S+)$/gm)].map((match) => match[1]!);
  task.title = `Chart renders: ${kinds.join(', ')}`;
  if (shell.dryRun) for (const line of result.stdout.trimEnd().split('\n')) task.output = line;
}
