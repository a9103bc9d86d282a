/**
 * Where a built image is pushed: <IMAGE_REGISTRY>/<IMAGE_OWNER>/<image>. The one rule for a missing IMAGE_OWNER,
 * shared by the Job and the service deploys: a real run cannot push anywhere and stops with exit 2 before anything
 * runs; a dry run plans with a stand-in owner that the chart schema and Kubernetes accept, says so, and never asks a
 * registry about the stand-in (it names nobody's image).
 */
import { imageRepository, type AppImage } from '../../apps/index.ts';
import type { Config } from '../../lib/config.ts';
import { MissingInputError } from '../../lib/errors.ts';

/** A valid, visibly made-up owner: `ghcr.io/your-github-user/caelundas` passes every reference check. */
export const STAND_IN_IMAGE_OWNER = 'your-github-user';

export const STAND_IN_OWNER_NOTE =
  'image owner: not set — a stand-in is used for this dry run; set IMAGE_OWNER in .env for a real run';

/** The repository a build pushes to, and whether its owner is the dry run's stand-in. */
export function buildRepository(
  image: Pick<AppImage, 'name'>,
  config: Pick<Config['image'], 'registry' | 'owner'>,
): { repository: string; standInOwner: boolean } {
  const real = imageRepository(image, config);
  if (real) return { repository: real, standInOwner: false };
  return {
    repository: imageRepository(image, { ...config, owner: STAND_IN_IMAGE_OWNER })!,
    standInOwner: true,
  };
}

/**
 * A real run that builds needs IMAGE_OWNER: exit 2 before anything runs. A dry run plans with the stand-in instead
 * (buildRepository), and its plan shows STAND_IN_OWNER_NOTE. `alternative` is the way to deploy without building.
 */
export function requireImageOwner(
  config: Pick<Config, 'dryRun'> & { image: Pick<Config['image'], 'owner'> },
  build: { images: 'image' | 'images'; alternative: string } | undefined,
): void {
  if (!build || config.image.owner || config.dryRun) return;
  throw new MissingInputError(`deploy needs to know where to push the ${build.images}:`, [
    {
      name: 'IMAGE_OWNER',
      howToProvide: `set IMAGE_OWNER=<your GitHub user or org> in .env or the environment, or pass ${build.alternative}`,
    },
  ]);
}
