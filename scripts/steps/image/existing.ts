/**
 * An image given with `--image`, kept exactly as the person wrote it. A reference with a digest already pins what
 * runs, so nothing is looked up or added. A tag alone can be moved to other code at any time, so its digest is read
 * from the registry (`docker manifest inspect`, which uses docker's own registry logins) and the Job runs
 * `repository:tag@digest`; when that cannot be done — docker is not installed, the registry does not answer or has no
 * such tag — the run says so and runs by tag.
 */
import * as docker from '../../docker.ts';
import type { StepTask } from '../../lib/pipeline.ts';
import type { Runner } from '../../lib/shell.ts';
import { lookUpDigest, type ImagePlan } from './build.ts';

export interface ExistingImageInput {
  shell: Runner;
  image: ImagePlan;
  /** docker is installed (it is not needed for --image, but it is how a tag's digest is looked up). */
  docker: boolean;
}

export interface ExistingImage {
  digest?: string;
  digestFrom?: 'given' | 'registry';
}

export async function resolveExistingImage(input: ExistingImageInput, task: StepTask): Promise<ExistingImage> {
  const { image } = input;
  const given = image.given ?? `${image.repository}:${image.tag}`;
  if (image.digest) {
    task.skip(`Using the existing image ${given} as given (pinned by its digest)`);
    return { digest: image.digest, digestFrom: 'given' };
  }
  const byTag = `the Job runs ${given} by tag, which can be moved to other code`;
  if (!input.docker) {
    task.skip(
      `Using the existing image ${given}: docker is not installed, so its digest cannot be looked up; ${byTag}`,
    );
    return {};
  }
  const lookup = await lookUpDigest(input.shell, given, docker.isLoopbackRegistry(registryOf(image.repository)));
  if (lookup.status !== 'found' || !lookup.digest) {
    const reason =
      lookup.status === 'unreachable'
        ? `it did not answer: network error, ${lookup.reason}`
        : lookup.status === 'absent'
          ? lookup.reason
          : 'no linux/amd64 image';
    task.skip(`Using the existing image ${given}: the registry did not tell its digest (${reason}); ${byTag}`);
    return {};
  }
  const digest = lookup.digest;
  task.skip(`Using the existing image ${given}, pinned to the digest the registry has for it now: ${digest}`);
  return { digest, digestFrom: 'registry' };
}

/** `localhost:5000/team/app` → `localhost:5000`; `team/app` (Docker Hub) → `docker.io`. */
export function registryOf(repository: string): string {
  const first = repository.split('/')[0] ?? '';
  return repository.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost')
    ? first
    : 'docker.io';
}
