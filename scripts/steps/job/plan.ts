/**
 * The deploy plan: every name and value a run will use, computed up front by a pure function from configuration,
 * flags, the app entry, the git state and the clock. The pipeline only executes it, and `--dry-run` prints it.
 */
import path from 'node:path';
import { imageRepository, type JobApp } from '../../apps/index.ts';
import type { Config } from '../../lib/config.ts';
import { releaseNameProblem } from '../../lib/names.ts';
import type { WorkTreeState } from '../../git.ts';

export interface DeployFlags {
  /** Deploy this existing image instead of building one. */
  image?: string;
  rebuild: boolean;
  allowDirty: boolean;
  cleanup: boolean;
  /** Overrides the app's Dockerfile and build context (relative to the project). */
  dockerfile?: string;
  buildContext?: string;
}

export interface DeployPlan {
  app: JobApp;
  release: string;
  namespace: string;
  /** Runs the image by digest once it is known; `tag` is kept for people and for `helm get values`. */
  image: {
    repository: string;
    /** The tag the release records: sha-<commit>[-dirty-<time>], or the tag of --image. */
    tag: string;
    /** Every tag pushed by the build (empty with --image). */
    pushTags: string[];
    /** Known up front only for --image REPO@sha256:…; else from the push. */
    digest?: string;
    build: false | { dockerfile: string; context: string; platform: string; labels: Record<string, string> };
  };
  chart: { path: string; valuesFiles: string[] };
  /** Values set on the command line (strings: --set-string). */
  setString: Record<string, string>;
  jobTimeoutMs: number;
  /** output/<release> */
  outputDir: string;
  helperImage: string;
  mountPath: string;
  cleanup: boolean;
  startedAt: string;
}

/** `caelundas-20260125-143022`: one release per run, named by the UTC time it started. */
export function releaseName(app: string, now: Date): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${app}-${stamp}`;
}

export interface PlanInput {
  app: JobApp;
  config: Pick<Config, 'repoRoot' | 'image' | 'jobTimeoutMs' | 'outputDir' | 'helperImage'>;
  flags: DeployFlags;
  namespace: string;
  git: Pick<WorkTreeState, 'commit' | 'shortCommit' | 'dirty' | 'sourceUrl'>;
  /** From the app's versionFile, when there is one. */
  version?: string;
  now: Date;
}

export function planDeploy(input: PlanInput): DeployPlan {
  const { app, config, flags, git, now } = input;
  const release = releaseName(app.name, now);
  const problem = releaseNameProblem(release);
  if (problem) throw new Error(`internal: generated release name is invalid: ${problem}`);

  const image = flags.image ? planExistingImage(flags.image) : planBuild(input);
  const setString: Record<string, string> = {
    'image.repository': image.repository,
    'image.tag': image.tag,
    'metadata.gitCommit': git.commit,
    // Unix seconds, like the seed's `date +%s`; a string so a label value never turns into a float.
    'metadata.timestamp': String(Math.floor(now.getTime() / 1000)),
  };
  if (image.digest) setString['image.digest'] = image.digest;

  return {
    app,
    release,
    namespace: input.namespace,
    image,
    chart: { path: app.chart.path, valuesFiles: [...app.chart.valuesFiles] },
    setString,
    jobTimeoutMs: config.jobTimeoutMs,
    outputDir: path.join(config.outputDir, release),
    helperImage: config.helperImage,
    mountPath: app.output.mountPath,
    cleanup: flags.cleanup,
    startedAt: now.toISOString(),
  };

  function planBuild({ version }: PlanInput): DeployPlan['image'] {
    const repository = imageRepository(app, config.image) ?? `${config.image.registry}/<IMAGE_OWNER>/${app.image.name}`;
    // A dirty tree's image must never pass for the commit's image: its tag says so and is unique to this run.
    const tag = git.dirty
      ? `sha-${git.shortCommit}-dirty-${release.slice(app.name.length + 1)}`
      : `sha-${git.shortCommit}`;
    const pushTags = [tag, ...(version && !git.dirty ? [version] : [])];
    return {
      repository,
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

/** `--image REPO:TAG`, `REPO@sha256:…` or `REPO:TAG@sha256:…`. */
export function parseImageReference(
  reference: string,
): { repository: string; tag?: string; digest?: string } | undefined {
  const match =
    /^((?:[a-z0-9.-]+(?::\d+)?\/)?[a-z0-9._/-]+?)(?::([\w][\w.-]{0,127}))?(?:@(sha256:[0-9a-f]{64}))?$/.exec(reference);
  if (!match || (!match[2] && !match[3])) return undefined;
  return { repository: match[1]!, tag: match[2], digest: match[3] };
}

function planExistingImage(reference: string): DeployPlan['image'] {
  const parsed = parseImageReference(reference);
  if (!parsed) throw new Error(`internal: unvalidated --image ${reference}`);
  return {
    repository: parsed.repository,
    tag: parsed.tag ?? 'by-digest',
    pushTags: [],
    digest: parsed.digest,
    build: false,
  };
}

/** What is wrong with an --image value, or undefined. Checked before anything runs. */
export function imageReferenceProblem(reference: string): string | undefined {
  const parsed = parseImageReference(reference);
  if (!parsed)
    return `"${reference}" is not an image reference with a tag or digest (e.g. ghcr.io/me/caelundas:1.0.0 or …@sha256:<64 hex>)`;
  if (parsed.tag === 'latest' && !parsed.digest)
    return `"${reference}" uses the mutable tag latest: pin a version tag or a digest so every run is reproducible`;
  return undefined;
}
