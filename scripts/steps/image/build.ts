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
import { CommandError, DeckhandError, formatMs } from '../../lib/errors.ts';
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
  /** IMAGE_OWNER is not set (a dry run): the repository names a stand-in owner, so no registry is asked about it. */
  standInOwner?: boolean;
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

  if (image.standInOwner) {
    if (!shell.dryRun) throw new Error('internal: a real run cannot push to the stand-in owner');
    // The stand-in names nobody's image: asking a registry about it could only mislead.
    task.output = `${primary} is not looked up in the registry (IMAGE_OWNER is not set; the owner is a stand-in).`;
  } else if (!input.rebuild && !input.dirty) {
    const lookup = await lookUpDigest(shell, primary, insecure);
    if (lookup.status === 'found' && lookup.digest) {
      task.skip(
        `${primary} is already in the registry (built from commit ${input.shortCommit}): reusing ${lookup.digest.slice(0, 19)}…; pass --rebuild to build again`,
      );
      return lookup.digest;
    }
    if (lookup.status === 'unreachable') {
      const what = `Could not look ${primary} up in the registry: network error (${lookup.reason}).`;
      if (!shell.dryRun) throw new DeckhandError(what, registryUnreachableHint(config.image.registry));
      task.output = `⚠ ${what} A real run stops here; the build is shown as if the image were not there.`;
    } else {
      const reason = lookup.status === 'absent' ? lookup.reason : 'no linux/amd64 image';
      task.output = `${primary} is not in the registry yet (${reason}): building it.`;
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

/**
 * What the registry says about a tag: its digest (undefined when it has no linux/amd64 image), that it has no such
 * tag, or nothing at all — a network error, which must never pass for "not there yet" (that would rebuild and then
 * fail to push, or hide a wrong IMAGE_REGISTRY).
 */
export type RegistryLookup =
  | { status: 'found'; digest: string | undefined }
  | { status: 'absent'; reason: string }
  | { status: 'unreachable'; reason: string };

export async function lookUpDigest(shell: Runner, reference: string, insecure: boolean): Promise<RegistryLookup> {
  let result;
  try {
    result = await shell.run(docker.manifestInspectArgs(reference, insecure, { verbose: true }), {
      kind: 'read',
      nothrow: true,
      timeoutMs: REGISTRY_READ_TIMEOUT_MS,
    });
  } catch (error) {
    if (error instanceof CommandError && error.timedOut)
      return { status: 'unreachable', reason: `no answer within ${formatMs(REGISTRY_READ_TIMEOUT_MS)}` };
    throw error;
  }
  if (result.exitCode !== 0) {
    const reason = result.stderr.trim().split('\n').pop() || `exit ${result.exitCode}`;
    return { status: docker.isNetworkFailure(result.stderr) ? 'unreachable' : 'absent', reason };
  }
  return { status: 'found', digest: docker.manifestDigest(result.stdout, 'amd64') };
}

export function registryUnreachableHint(registry: string): string {
  return `Check the network connection (and a proxy, if you use one) and that IMAGE_REGISTRY (${registry}) is right and answers, then run again.`;
}
