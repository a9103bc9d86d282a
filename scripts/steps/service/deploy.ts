/**
 * The first steps of `deploy <service>`: prerequisites and target, the plan, the inputs, the images. Each observes,
 * decides, acts and reports; tasks.ts puts them in order. The cluster itself is changed by rollout.ts.
 */
import type { ServiceImage } from '../../apps/index.ts';
import type { StepTask } from '../../lib/pipeline.ts';
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
import { whoRollsOut } from './change-cause.ts';
import { secretNames, taskShell, type ServiceDeployRun } from './deploy-run.ts';
import { kindsOf, startLiveReads } from './live.ts';
import { loadManifests } from './manifests.ts';
import { assignPerImage, planService } from './plan.ts';

// ─── Check prerequisites ──────────────────────────────────────────────────────────────────────────────────────

export async function checkPrerequisites(run: ServiceDeployRun, task: StepTask): Promise<void> {
  const { config } = run.deps;
  // The per-image options are checked first: a typo there is exit 2 before anything runs.
  const given = assignPerImage(run.app, run.flags.images, '--image', { matchReference: true });
  const needDocker = given.size < run.app.images.length;
  requireImageOwner(config, needDocker ? { images: 'images', alternative: '--image for each image' } : undefined);
  await checkBuildSources(config.repoRoot, buildSources(run, given));
  await checkDeployPrerequisites(run, task, {
    tools: ['docker', 'kubectl'],
    builds: needDocker,
    noBuildBecause: 'every image is given with --image',
    what: 'images',
    allowDirty: run.flags.allowDirty,
    resolveTarget: (notes) => resolveClusterTarget(run, notes),
  });
}

/** The Dockerfile and context of each image that is built: the flags', else the image's own. */
function buildSources(run: ServiceDeployRun, given: ReadonlyMap<string, string>): BuildSource[] {
  const dockerfiles = assignPerImage(run.app, run.flags.dockerfiles, '--dockerfile');
  const contexts = assignPerImage(run.app, run.flags.buildContexts, '--build-context');
  return run.app.images
    .filter((image) => !given.has(image.name))
    .map((image) => {
      const dockerfile = dockerfiles.get(image.name);
      const context = contexts.get(image.name);
      return {
        image: image.name,
        dockerfile: dockerfile ? { value: dockerfile, option: '--dockerfile' } : { value: image.dockerfile },
        context: context ? { value: context, option: '--build-context' } : { value: image.context },
      };
    });
}

async function resolveClusterTarget(run: ServiceDeployRun, notes: string[]): Promise<void> {
  run.entries = await loadManifests(run.deps.config.repoRoot, run.app.manifests);
  const resolved = await resolveDeployTarget(run.deps, run.app.namespace, notes, (target) => {
    // Started now, awaited by the first step that changes the cluster: the round trips overlap the builds.
    run.target = target;
    run.namespace = target.namespace;
    startReadsAhead(run);
  });
  run.target = resolved.target;
  if (resolved.target) run.namespace = resolved.target.namespace;
  run.clusterReadable = resolved.readable;
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
      run.app.images.map(
        async (image) => [image.name, await readAppVersion(config.repoRoot, image.versionFile)] as const,
      ),
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
  if (plan.images.some(({ plan: imagePlan }) => imagePlan.standInOwner)) task.output = STAND_IN_OWNER_NOTE;
  const { phases } = plan;
  const names = (objects: readonly { kind: string; metadata: { name: string } }[]) =>
    objects.map((object) => `${object.kind} ${object.metadata.name}`).join(', ');
  task.output = `1. ${names(phases.foundation)}, Secret ${run.app.secret.name}`;
  task.output = `2. ${names(phases.readyFirst)} — then wait until ${run.app.readyFirst.join(', ')} is ready`;
  task.output = `3. ${names(phases.app)} — watched, undone on failure${run.flags.rollback ? '' : ' (not: --no-rollback)'}`;
  const hosts = phases.ingress.flatMap((object) =>
    ((object['spec'] as { rules?: { host?: string }[] } | undefined)?.rules ?? []).map((rule) => rule.host),
  );
  task.output = `4. ${names(phases.ingress)}: ${hosts.join(', ')}${config.addons.domain ? '' : ' (placeholders: set DOMAIN in .env to serve your own)'}`;
  task.title = `Plan the roll-out of ${run.app.name} (commit ${plan.shortCommit}) into namespace ${plan.namespace}`;
}

// ─── Inputs ───────────────────────────────────────────────────────────────────────────────────────────────────

export async function collectInputs(run: ServiceDeployRun, task: StepTask): Promise<void> {
  await collectDeployInputs(run, task);
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
