/**
 * Building and pushing an app's image, shared by every pipeline that deploys one. Observe first: when the registry
 * already has the commit's tag (and the work tree is clean), the build is skipped and that image's digest is used.
 * Otherwise build for linux/amd64 (LKE's nodes) with buildx and push in one step, or — without buildx — build with
 * the classic builder and `docker push`. The cluster always runs the pushed digest, never a tag that can move.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as docker from '../../docker.ts';
import type { Config } from '../../lib/config.ts';
import { DeckhandError } from '../../lib/errors.ts';
import type { StepTask } from '../../lib/pipeline.ts';
import type { Runner } from '../../lib/shell.ts';

/** Building an image is slow on a laptop (and slower under emulation); this is only the backstop. */
const BUILD_TIMEOUT_MS = 30 * 60_000;
const REGISTRY_READ_TIMEOUT_MS = 60_000;

export interface ImageBuild {
  /** Relative to the project (the commands run there), so what is printed is what a person would type. */
  dockerfile: string;
  context: string;
  platform: string;
  labels: Readonly<Record<string, string>>;
}

export interface ImagePlan {
  /** The --image reference exactly as the person gave it. */
  given?: string;
  repository: string;
  /**
   * The tag people and the run record see: sha-<commit>[-dirty-<time>], or the tag of --image. None for an --image
   * given by digest alone: that runs exactly as given.
   */
  tag?: string;
  /** Every tag the build pushes (empty with --image). */
  pushTags: readonly string[];
  /** Known up front only for an --image with a digest; else from the push (or the registry, for an --image tag). */
  digest?: string;
  build: false | ImageBuild;
}

export interface BuildAndPushInput {
  shell: Runner;
  config: Pick<Config, 'repoRoot' | 'image' | 'githubToken'>;
  image: ImagePlan;
  /** Build even when the registry has the tag. */
  rebuild: boolean;
  /** The work tree has uncommitted changes: its image never passes for the commit's, so it is always built. */
  dirty: boolean;
  buildx: boolean;
  shortCommit: string;
}

/** The digest the cluster should run (undefined only in a dry run). */
export async function buildAndPush(input: BuildAndPushInput, task: StepTask): Promise<string | undefined> {
  const { shell, config, image } = input;
  const build = image.build;
  if (!build || !image.tag) throw new Error('internal: buildAndPush needs an image to build');
  const primary = `${image.repository}:${image.tag}`;
  const insecure = docker.isLoopbackRegistry(config.image.registry);

  if (!input.rebuild && !input.dirty) {
    const existing = await registryDigest(
      shell,
      primary,
      insecure,
      (reason) => (task.output = `${primary} is not in the registry yet (${reason}): building it.`),
    );
    if (existing) {
      task.skip(
        `${primary} is already in the registry (built from commit ${input.shortCommit}): reusing ${existing.slice(0, 19)}…; pass --rebuild to build again`,
      );
      return existing;
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
  const tags = image.pushTags.map((tag) => `${image.repository}:${tag}`);
  const progress = {
    onStderrLine: (line: string) => (task.output = line),
    onStdoutLine: (line: string) => (task.output = line),
  };
  const pushHint = `Log in first (docker login ${config.image.registry}) or set GITHUB_TOKEN, and check IMAGE_OWNER.`;
  const options = {
    dockerfile: build.dockerfile,
    context: build.context,
    tags,
    platform: build.platform,
    labels: build.labels,
  };
  let digest: string | undefined;

  if (input.buildx) {
    const metadataDir = await mkdtemp(path.join(os.tmpdir(), 'deckhand-buildx-'));
    const metadataFile = path.join(metadataDir, 'metadata.json');
    try {
      await shell.run(docker.buildxBuildArgs({ ...options, push: true, metadataFile }), {
        kind: 'write',
        timeoutMs: BUILD_TIMEOUT_MS,
        cwd: config.repoRoot,
        hint: pushHint,
        ...progress,
      });
      if (!shell.dryRun) digest = docker.digestFromMetadata(await readFile(metadataFile, 'utf8').catch(() => ''));
    } finally {
      await rm(metadataDir, { recursive: true, force: true });
    }
  } else {
    task.output =
      "docker buildx is not installed: building with the classic builder (for this machine's platform), then pushing with docker push.";
    await shell.run(docker.classicBuildArgs(options), {
      kind: 'write',
      timeoutMs: BUILD_TIMEOUT_MS,
      cwd: config.repoRoot,
      ...progress,
    });
    for (const tag of tags) {
      const pushed = await shell.run(docker.pushArgs(tag), {
        kind: 'write',
        timeoutMs: BUILD_TIMEOUT_MS,
        hint: pushHint,
        ...progress,
      });
      digest ??= docker.digestFromPushOutput(pushed.stdout);
    }
  }
  if (!shell.dryRun && !digest) {
    throw new DeckhandError(
      `The push of ${primary} did not report a digest.`,
      'Run again with --verbose to see the push output.',
    );
  }
  task.title = shell.dryRun
    ? `Build and push ${primary} (dry run)`
    : `Built and pushed ${primary} (${digest!.slice(0, 19)}…)`;
  return digest;
}

/** The digest of a tag in the registry, or undefined when the registry does not have it (or does not answer). */
export async function registryDigest(
  shell: Runner,
  reference: string,
  insecure: boolean,
  onMissing: (reason: string) => void,
): Promise<string | undefined> {
  const result = await shell.run(docker.manifestInspectArgs(reference, insecure, { verbose: true }), {
    kind: 'read',
    nothrow: true,
    timeoutMs: REGISTRY_READ_TIMEOUT_MS,
  });
  if (result.exitCode !== 0) {
    onMissing(result.stderr.trim().split('\n').pop() || `exit ${result.exitCode}`);
    return undefined;
  }
  return docker.manifestDigest(result.stdout, 'amd64');
}
