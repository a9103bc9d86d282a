/**
 * The deploy plan: every name and value a run will use, computed up front by a pure function from configuration,
 * flags, the app entry, the git state and the clock. The pipeline only executes it, and `--dry-run` prints it.
 */
import type { JobApp } from '../../apps/index.ts';
import type { WorkTreeState } from '../../git.ts';
import type { Config } from '../../lib/config.ts';
import { parseImageReference } from '../../lib/image-ref.ts';
import { releaseNameProblem } from '../../lib/names.ts';
import type { ImagePlan } from '../image/build.ts';
import { buildRepository } from '../image/owner.ts';
import { filesFolder, runFolder } from './record.ts';
import { inputsSecretName, releaseName } from './release-name.ts';

export interface DeployFlags {
  /** Deploy this existing image instead of building one. */
  image?: string;
  rebuild: boolean;
  allowDirty: boolean;
  cleanup: boolean;
  /** With cleanup: also delete the volume a Retain policy keeps after the PVC goes. */
  deleteVolume?: boolean;
  /** Overrides the app's Dockerfile and build context (relative to the project). */
  dockerfile?: string;
  buildContext?: string;
}

export interface DeployPlan {
  app: JobApp;
  /** The name this run tries; it changes only when another run took it first (claimReleaseName). */
  release: string;
  namespace: string;
  /** The kubeconfig's name for the cluster (a folder of the output). */
  cluster: string;
  /** Unique to this run: the deckhand.dev/run-id label on its Job, pods and PVC. */
  runId: string;
  /** The Secret that holds this run's inputs: created before its release, read only by its Job. */
  inputsSecret: string;
  /** Runs the image by digest once it is known; `tag` is kept for people and for `helm get values`. */
  image: ImagePlan;
  chart: { path: string; valuesFiles: string[] };
  /** Values set on the command line (strings: --set-string). */
  setString: Record<string, string>;
  jobTimeoutMs: number;
  /** The local output root (config.outputDir). */
  outputRoot: string;
  /** output/<cluster>/<namespace>/<release>: run.json and files/. */
  runDir: string;
  /** <runDir>/files: exactly what the Job wrote. */
  filesDir: string;
  helperImage: string;
  mountPath: string;
  cleanup: boolean;
  startedAt: string;
  /** The image pull secret the Job uses (REGISTRY_PULL_TOKEN is set): created beside the app's Secret. */
  pullSecret?: { name: string; registry: string; user: string };
}

export interface PlanInput {
  app: JobApp;
  config: Pick<Config, 'repoRoot' | 'image' | 'jobTimeoutMs' | 'outputDir' | 'helperImage' | 'pullToken' | 'pullUser'>;
  flags: DeployFlags;
  namespace: string;
  /** The kubeconfig's name for the target cluster. */
  cluster: string;
  git: Pick<WorkTreeState, 'commit' | 'shortCommit' | 'dirty' | 'sourceUrl'>;
  /** From the app's versionFile, when there is one. */
  version?: string;
  now: Date;
  /** A fresh random id (crypto.randomUUID()). */
  runId: string;
}

export function planDeploy(input: PlanInput): DeployPlan {
  const { app, config, flags, git, now } = input;
  const release = releaseName(app.name, now);

  const image = flags.image ? planExistingImage(flags.image) : planBuild(input);
  const setString: Record<string, string> = {
    'image.repository': image.repository,
    ...(image.tag ? { 'image.tag': image.tag } : {}),
    'metadata.gitCommit': git.commit,
    // Unix seconds, like the seed's `date +%s`; a string so a label value never turns into a float.
    'metadata.timestamp': String(Math.floor(now.getTime() / 1000)),
    'metadata.runId': input.runId,
  };
  if (image.digest) setString['image.digest'] = image.digest;
  // Decided here, not by the step that creates the Secret: the chart is rendered beside that step.
  const pullSecret = config.pullToken
    ? {
        name: `${app.name}-registry`,
        registry: config.image.registry,
        user: config.pullUser ?? config.image.user ?? 'deckhand',
      }
    : undefined;
  if (pullSecret) setString['imagePullSecrets[0].name'] = pullSecret.name;

  return claimReleaseName(
    {
      app,
      release,
      namespace: input.namespace,
      cluster: input.cluster,
      runId: input.runId,
      inputsSecret: '',
      image,
      chart: { path: app.chart.path, valuesFiles: [...app.chart.valuesFiles] },
      setString,
      jobTimeoutMs: config.jobTimeoutMs,
      outputRoot: config.outputDir,
      runDir: '',
      filesDir: '',
      helperImage: config.helperImage,
      mountPath: app.output.mountPath,
      cleanup: flags.cleanup,
      startedAt: now.toISOString(),
      ...(pullSecret ? { pullSecret } : {}),
    },
    release,
  );

  function planBuild({ version }: PlanInput): ImagePlan {
    const { repository, standInOwner } = buildRepository(app.image, config.image);
    // A dirty tree's image must never pass for the commit's image: its tag says so and is unique to this run.
    const tag = git.dirty
      ? `sha-${git.shortCommit}-dirty-${release.slice(app.name.length + 1)}`
      : `sha-${git.shortCommit}`;
    const pushTags = [tag, ...(version && !git.dirty ? [version] : [])];
    return {
      repository,
      ...(standInOwner ? { standInOwner } : {}),
      tag,
      pushTags,
      build: {
        dockerfile: flags.dockerfile ?? app.image.dockerfile,
        context: flags.buildContext ?? app.image.context,
        platform: app.image.platform,
        labels: {
          'org.opencontainers.image.revision': git.commit,
          'org.opencontainers.image.created': now.toISOString(),
          ...(git.sourceUrl ? { 'org.opencontainers.image.source': git.sourceUrl } : {}),
          ...(version ? { 'org.opencontainers.image.version': version } : {}),
          'org.opencontainers.image.title': app.name,
        },
      },
    };
  }
}

/**
 * The plan under another release name (the one it tried was taken by a run that started in the same second): every
 * name that follows from the release — its inputs Secret, its output folder — follows it.
 */
export function claimReleaseName(plan: DeployPlan, release: string): DeployPlan {
  const problem = releaseNameProblem(release);
  if (problem) throw new Error(`internal: generated release name is invalid: ${problem}`);
  const inputsSecret = inputsSecretName(release);
  const runDir = runFolder(plan.outputRoot, { cluster: plan.cluster, namespace: plan.namespace, release });
  return {
    ...plan,
    release,
    inputsSecret,
    runDir,
    filesDir: filesFolder(runDir),
    setString: { ...plan.setString, 'secretEnv.name': inputsSecret },
  };
}

/**
 * `--image REPO:TAG`, `REPO@sha256:…` or `REPO:TAG@sha256:…` (checked with imageReferenceProblem before), kept as
 * given: a digest-only reference runs as exactly that, with no tag made up for it.
 */
function planExistingImage(reference: string): ImagePlan {
  const parsed = parseImageReference(reference);
  if (!parsed) throw new Error(`internal: unvalidated --image ${reference}`);
  return {
    given: reference,
    repository: parsed.repository,
    ...(parsed.tag ? { tag: parsed.tag } : {}),
    pushTags: [],
    ...(parsed.digest ? { digest: parsed.digest } : {}),
    build: false,
  };
}
