/**
 * The steps of `deploy <job app>` up to the install: prerequisites, plan, inputs, image, namespace and the run's
 * inputs Secret, chart check (the install itself is in claim.ts). Each one observes, decides, acts and reports;
 * tasks.ts puts them in order.
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import * as helm from '../../helm.ts';
import { formatMs } from '../../lib/errors.ts';
import type { StepTask } from '../../lib/pipeline.ts';
import { commandFailure } from '../../lib/shell.ts';
import type { KubeTarget } from '../../lib/target.ts';
import {
  checkDeployPrerequisites,
  collectDeployInputs,
  readAppVersion,
  resolveDeployTarget,
} from '../apps/deploy-common.ts';
import { buildAndPush } from '../image/build.ts';
import { resolveExistingImage } from '../image/existing.ts';
import { STAND_IN_OWNER_NOTE, requireImageOwner } from '../image/owner.ts';
import { checkBuildSources, type BuildSource } from '../image/preflight.ts';
import {
  convergeNamespaceAndSecrets,
  dockerConfigJson,
  readLiveState,
  refuseSystemNamespace,
  type LiveState,
  type SecretSpec,
} from '../cluster/namespace.ts';
import { startClusterReads, type ClusterReads } from '../cluster/reads.ts';
import { chartValueInputs, schemaFailureHint } from './chart-values.ts';
import { createInputsSecret } from './claim.ts';
import { releaseValues, targetOf, taskShell, type DeployRun } from './deploy-run.ts';
import { planDeploy } from './plan.ts';

// ─── Check prerequisites ──────────────────────────────────────────────────────────────────────────────────────

export async function checkPrerequisites(run: DeployRun, task: StepTask): Promise<void> {
  const { config } = run.deps;
  const needDocker = !run.flags.image;

  // What a build needs and the person must fix (exit 2) is checked before anything else starts.
  requireImageOwner(
    config,
    needDocker ? { images: 'image', alternative: '--image REF to deploy an existing image' } : undefined,
  );
  if (needDocker) await checkBuildSources(config.repoRoot, [buildSource(run)]);
  await checkDeployPrerequisites(run, task, {
    tools: ['docker', 'helm', 'kubectl'],
    builds: needDocker,
    noBuildBecause: 'the image is given with --image',
    what: 'image',
    allowDirty: run.flags.allowDirty,
    resolveTarget: (notes) => resolveClusterTarget(run, notes),
  });
}

/** The Dockerfile and context a build uses: the flags', else the app's own. */
function buildSource(run: DeployRun): BuildSource {
  const { flags, app } = run;
  return {
    image: app.image.name,
    dockerfile: flags.dockerfile
      ? { value: flags.dockerfile, option: '--dockerfile' }
      : { value: app.image.dockerfile },
    context: flags.buildContext
      ? { value: flags.buildContext, option: '--build-context' }
      : { value: app.image.context },
  };
}

async function resolveClusterTarget(run: DeployRun, notes: string[]): Promise<void> {
  const resolved = await resolveDeployTarget(run.deps, run.app.namespace, notes, (target) => {
    // Awaited by the step that prepares the namespace: on a remote API (TLS, round trips) they need not hold up the
    // checks or the image build.
    run.clusterReads = startReadsAhead(run, target);
  });
  run.target = resolved.target;
  run.clusterReadable = resolved.readable;
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
  const version = await readAppVersion(config.repoRoot, run.app.image.versionFile);
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
  if (plan.image.standInOwner) lines.splice(2, 0, STAND_IN_OWNER_NOTE);
  if (plan.image.build && !version) {
    lines.push(`note       no ${run.app.image.versionFile ?? 'version file'}: the image is tagged sha-<commit> only`);
  }
  for (const line of lines) task.output = line;
}

// ─── Inputs ───────────────────────────────────────────────────────────────────────────────────────────────────

export async function collectInputs(run: DeployRun, task: StepTask): Promise<void> {
  await collectDeployInputs(run, task);
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
  const setString = releaseValues(run);
  const result = await shell.run(
    helm.templateArgs({
      release: plan.release,
      chart: plan.chart.path,
      namespace: plan.namespace,
      valuesFiles: plan.chart.valuesFiles,
      setString,
    }),
    { kind: 'read', cwd: run.deps.config.repoRoot, nothrow: true },
  );
  if (result.exitCode !== 0) {
    const refused = helm.schemaFailurePaths(result.stderr);
    throw commandFailure(shell, result, schemaFailureHint(refused, setString, chartValueInputs(plan)));
  }
  const kinds = [...result.stdout.matchAll(/^kind: (\S+)$/gm)].map((match) => match[1]!);
  task.title = `Chart renders: ${kinds.join(', ')}`;
  if (shell.dryRun) for (const line of result.stdout.trimEnd().split('\n')) task.output = line;
}
