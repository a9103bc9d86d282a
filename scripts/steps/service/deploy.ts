/**
 * The first steps of `deploy <service>`: prerequisites and target, the plan, the inputs, the images. Each observes,
 * decides, acts and reports; tasks.ts puts them in order. The cluster itself is changed by rollout.ts.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { ServiceImage } from '../../apps/index.ts';
import { collectAppInputs, readAppInputs } from '../../apps/inputs.ts';
import * as docker from '../../docker.ts';
import * as git from '../../git.ts';
import * as kubectl from '../../kubectl.ts';
import { DeckhandError, MissingInputError, UsageError } from '../../lib/errors.ts';
import { deckhand } from '../../lib/hints.ts';
import { toolProblem } from '../checks/install-hints.ts';
import type { StepTask } from '../../lib/pipeline.ts';
import { targetBanner } from '../../lib/target.ts';
import { probeTools } from '../checks/tools.ts';
import { buildAndPush } from '../image/build.ts';
import { resolveExistingImage } from '../image/existing.ts';
import { whoRollsOut } from './change-cause.ts';
import { secretNames, taskShell, type ServiceDeployRun } from './deploy-run.ts';
import { kindsOf, startLiveReads } from './live.ts';
import { loadManifests } from './manifests.ts';
import { assignPerImage, planService } from './plan.ts';

// ─── Check prerequisites ──────────────────────────────────────────────────────────────────────────────────────

export async function checkPrerequisites(run: ServiceDeployRun, task: StepTask): Promise<void> {
  const { shell, config } = run.deps;
  // The per-image options are checked first: a typo there is exit 2 before anything runs.
  const given = assignPerImage(run.app, run.flags.images, '--image', { matchReference: true });
  const needDocker = given.size < run.app.images.length;
  const notes: string[] = [];
  const [, probes, buildx, gitState] = await Promise.all([
    resolveClusterTarget(run, notes),
    probeTools(shell, ['docker', 'kubectl']),
    needDocker ? docker.hasBuildx(shell) : Promise.resolve(false),
    git.workTreeState(shell, config.repoRoot),
  ]);
  const problems: string[] = [];
  for (const [probe, needed] of [
    [probes.docker, needDocker],
    [probes.kubectl, true],
  ] as const) {
    if (probe.found) {
      run.tools[probe.name as 'docker' | 'kubectl'] = probe.version;
      notes.push(`${probe.name} ${probe.version}`);
    } else if (!needed) notes.push(`${probe.name} not found (not needed: every image is given with --image)`);
    else if (config.dryRun) notes.push(`${probe.name} not found: a real run needs it`);
    else problems.push(toolProblem(probe));
  }
  run.tools.buildx = buildx;
  run.git = gitState;
  notes.push(`commit ${gitState.shortCommit}${gitState.dirty ? ' with uncommitted changes' : ' (clean work tree)'}`);
  if (gitState.dirty && !run.flags.allowDirty && needDocker) {
    const message = 'The work tree has uncommitted changes: the images would not match any commit.';
    if (!config.dryRun) {
      throw new UsageError(
        message,
        'Commit (or stash) the changes, or pass --allow-dirty to build anyway (the image tags then say "-dirty").',
      );
    }
    notes.push(`⚠ ${message} A real run refuses; commit first or pass --allow-dirty.`);
  }
  if (needDocker && !config.image.owner && !config.dryRun) {
    throw new MissingInputError('deploy needs to know where to push the images:', [
      {
        name: 'IMAGE_OWNER',
        howToProvide:
          'set IMAGE_OWNER=<your GitHub user or org> in .env or the environment, or pass --image for each image',
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
    run.tools.kubectl && `kubectl ${run.tools.kubectl}`,
  ];
  task.title = `Checked prerequisites: ${[...versions, `commit ${gitState.shortCommit}`].filter(Boolean).join(', ')}`;
}

async function resolveClusterTarget(run: ServiceDeployRun, notes: string[]): Promise<void> {
  const { config, shell } = run.deps;
  run.entries = await loadManifests(config.repoRoot, run.app.manifests);
  try {
    run.target = run.deps.resolveTarget(run.app.namespace, { forWrite: true });
  } catch (error) {
    if (config.dryRun && error instanceof UsageError && /kubeconfig/i.test(error.message)) {
      notes.push(`no cluster: ${error.message} (dry run: cluster reads are skipped)`);
      return;
    }
    throw error;
  }
  run.namespace = run.target.namespace;
  if (!config.dryRun) {
    // Started now, awaited by the first step that changes the cluster: the round trips overlap the builds.
    startReadsAhead(run);
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

/** (Re)starts the reads of what the cluster holds now. */
export function startReadsAhead(run: ServiceDeployRun): void {
  run.reads?.stop();
  const objects = (run.entries ?? []).map((entry) => entry.object);
  run.reads = startLiveReads(run.deps.shell, run.target!, run.namespace, kindsOf(objects), secretNames(run));
}

// ─── Plan ─────────────────────────────────────────────────────────────────────────────────────────────────────

export async function planRollout(run: ServiceDeployRun, task: StepTask): Promise<void> {
  const { config } = run.deps;
  const versions = Object.fromEntries(
    await Promise.all(
      run.app.images.map(async (image) => [image.name, await readVersion(config.repoRoot, image.versionFile)] as const),
    ),
  );
  const plan = planService({
    app: run.app,
    config,
    flags: run.flags,
    namespace: run.namespace,
    git: run.git!,
    versions,
    entries: run.entries!,
    who: whoRollsOut(config.realEnv),
    now: new Date(),
  });
  run.plan = plan;
  for (const { image, plan: imagePlan } of plan.images) {
    if (imagePlan.digest) run.digests[image.name] = imagePlan.digest;
    const how = imagePlan.build
      ? `built from ${imagePlan.build.dockerfile} (tags ${imagePlan.pushTags.join(', ')}, ${imagePlan.build.platform})`
      : 'existing image, no build';
    task.output = `image      ${imagePlan.repository}:${imagePlan.tag} → ${image.deployment}/${image.container}, ${how}`;
  }
  const { phases } = plan;
  const names = (objects: readonly { kind: string; metadata: { name: string } }[]) =>
    objects.map((object) => `${object.kind} ${object.metadata.name}`).join(', ');
  task.output = `1. ${names(phases.foundation)}, Secret ${run.app.secret.name}`;
  task.output = `2. ${names(phases.readyFirst)} — then wait until ${run.app.readyFirst.join(', ')} is ready`;
  task.output = `3. ${names(phases.app)} — watched, undone on failure${run.flags.rollback ? '' : ' (not: --no-rollback)'}`;
  task.output = `4. ${names(phases.ingress)}`;
  task.title = `Plan the roll-out of ${run.app.name} (commit ${plan.shortCommit}) into namespace ${plan.namespace}`;
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

export async function collectInputs(run: ServiceDeployRun, task: StepTask): Promise<void> {
  const { app } = run;
  const { config, masker } = run.deps;
  const total = app.secret.inputs.length;
  if (config.dryRun && !task.prompter.interactive) {
    // A dry run shows the plan even before the inputs exist; it says which ones a real run still needs.
    const { values, missing } = readAppInputs(app, config, masker);
    run.inputs = { ...values, ...Object.fromEntries(missing.map((input) => [input.key, `<${input.key}>`])) };
    if (missing.length > 0)
      task.output = `A real run needs ${missing.map((input) => input.key).join(', ')} (set them in ${app.secret.envFile}); placeholders are used here.`;
    task.title = `Collected ${app.name} inputs (${Object.keys(values).length} of ${total} set)`;
    return;
  }
  const { values, sources } = await collectAppInputs(app, config, masker, task.prompter);
  run.inputs = values;
  run.inputsPrompted = Object.values(sources).includes('prompt');
  for (const input of app.secret.inputs) {
    const source = sources[input.key] === 'env file' ? app.secret.envFile : sources[input.key];
    task.output = `${input.key.padEnd(20)} from ${source}${input.sensitive ? ' (sensitive, masked)' : `: ${values[input.key]}`}`;
  }
  task.title = `Collected ${app.name} inputs (${total} of ${total})`;
}

// ─── Images ───────────────────────────────────────────────────────────────────────────────────────────────────

export async function buildImage(run: ServiceDeployRun, image: ServiceImage, task: StepTask): Promise<void> {
  const planned = run.plan!.images.find((candidate) => candidate.image.name === image.name)!;
  try {
    if (!planned.plan.build) {
      // An image given with --image: kept as given, a tag pinned to the registry's digest when it answers.
      const docker = run.tools.docker !== undefined;
      const resolved = await resolveExistingImage({ shell: taskShell(run, task), image: planned.plan, docker }, task);
      if (resolved.digest) run.digests[image.name] = resolved.digest;
      return;
    }
    const digest = await buildAndPush(
      {
        shell: taskShell(run, task),
        config: run.deps.config,
        image: planned.plan,
        rebuild: run.flags.rebuild,
        dirty: run.git!.dirty,
        buildx: run.tools.buildx,
        shortCommit: run.git!.shortCommit,
      },
      task,
    );
    if (digest) run.digests[image.name] = digest;
  } catch (error) {
    run.stopCluster.abort(error);
    throw error;
  }
}

/** Ends work started ahead that the run did not get to use. */
export function stopReadsAhead(run: ServiceDeployRun): void {
  run.reads?.stop();
}
