/**
 * The roll-out plan of a service: for each of its images, whether it is built (tags, labels, Dockerfile) or given
 * (--image), and the manifests grouped into the phases the roll-out applies. A pure function of configuration, flags,
 * the registry entry, the git state and the clock; the pipeline executes it and `--dry-run` prints it.
 */
import type { ServiceApp, ServiceImage } from '../../apps/index.ts';
import type { WorkTreeState } from '../../git.ts';
import type { Config } from '../../lib/config.ts';
import { UsageError } from '../../lib/errors.ts';
import { imageReferenceProblem, parseImageReference } from '../../lib/image-ref.ts';
import type { ImagePlan } from '../image/build.ts';
import { buildRepository } from '../image/owner.ts';
import { phasesOf, retarget, withDomain, type ManifestEntry, type RolloutPhases } from './manifests.ts';

export interface ServiceDeployFlags {
  /** --image values: `REF` (matched to an image by its repository name) or `NAME=REF`. */
  images: readonly string[];
  /** --dockerfile / --build-context values: `VALUE` (every image) or `NAME=VALUE` (one). */
  dockerfiles: readonly string[];
  buildContexts: readonly string[];
  rebuild: boolean;
  allowDirty: boolean;
  /** Undo a failed roll-out (false with --no-rollback). */
  rollback: boolean;
}

export interface ServiceImagePlan {
  image: ServiceImage;
  plan: ImagePlan;
}

export interface ServicePlan {
  app: ServiceApp;
  namespace: string;
  images: ServiceImagePlan[];
  phases: RolloutPhases;
  commit: string;
  shortCommit: string;
  /** Who rolls out, for the change-cause: the GitHub actor in Actions, else the local user. */
  who: string;
  startedAt: string;
  /** The image pull secret the app's Deployments get (REGISTRY_PULL_TOKEN is set). */
  pullSecret?: { name: string; registry: string; user: string };
}

export interface ServicePlanInput {
  app: ServiceApp;
  config: Pick<Config, 'image' | 'pullToken' | 'pullUser'> & { addons?: Pick<Config['addons'], 'domain'> };
  flags: ServiceDeployFlags;
  namespace: string;
  git: Pick<WorkTreeState, 'commit' | 'shortCommit' | 'dirty' | 'sourceUrl'>;
  /** Each image's version (from its versionFile), by image name. */
  versions: Readonly<Record<string, string | undefined>>;
  entries: readonly ManifestEntry[];
  who: string;
  now: Date;
}

export function planService(input: ServicePlanInput): ServicePlan {
  const { app, config, flags, git, now } = input;
  const given = assignPerImage(app, flags.images, '--image', { matchReference: true });
  const dockerfiles = assignPerImage(app, flags.dockerfiles, '--dockerfile');
  const contexts = assignPerImage(app, flags.buildContexts, '--build-context');
  for (const [name] of given) {
    if (flags.rebuild || dockerfiles.has(name) || contexts.has(name))
      throw new UsageError(
        `--image ${given.get(name)} deploys an existing image of ${name}; it cannot be combined with --rebuild, --dockerfile or --build-context for the same image.`,
      );
  }
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  const images = app.images.map((image): ServiceImagePlan => {
    const reference = given.get(image.name);
    if (reference) return { image, plan: existingImage(reference) };
    const { repository, standInOwner } = buildRepository(image, config.image);
    const version = input.versions[image.name];
    // A dirty tree's image must never pass for the commit's image: its tag says so and is unique to this run.
    const tag = git.dirty ? `sha-${git.shortCommit}-dirty-${stamp}` : `sha-${git.shortCommit}`;
    return {
      image,
      plan: {
        repository,
        ...(standInOwner ? { standInOwner } : {}),
        tag,
        pushTags: [tag, ...(version && !git.dirty ? [version] : [])],
        build: {
          dockerfile: dockerfiles.get(image.name) ?? image.dockerfile,
          context: contexts.get(image.name) ?? image.context,
          platform: image.platform,
          labels: {
            'org.opencontainers.image.revision': git.commit,
            'org.opencontainers.image.created': now.toISOString(),
            ...(git.sourceUrl ? { 'org.opencontainers.image.source': git.sourceUrl } : {}),
            ...(version ? { 'org.opencontainers.image.version': version } : {}),
            'org.opencontainers.image.title': image.name,
          },
        },
      },
    };
  });
  const pullSecret = config.pullToken
    ? {
        name: `${app.name}-registry`,
        registry: config.image.registry,
        user: config.pullUser ?? config.image.user ?? 'deckhand',
      }
    : undefined;
  return {
    app,
    namespace: input.namespace,
    images,
    phases: phasesOf(withDomain(retarget(input.entries, app.namespace, input.namespace), config.addons?.domain), app),
    commit: git.commit,
    shortCommit: git.shortCommit,
    who: input.who,
    startedAt: now.toISOString(),
    ...(pullSecret ? { pullSecret } : {}),
  };
}

/**
 * Values of a per-image option, by image name: `NAME=VALUE` names the image; a plain `--image REF` is matched by the
 * last part of its repository (…/wpp-bot-dashboard → wpp-bot-dashboard); another plain value applies to every image.
 */
export function assignPerImage(
  app: ServiceApp,
  values: readonly string[],
  option: string,
  options: { matchReference?: boolean } = {},
): Map<string, string> {
  const names = app.images.map((image) => image.name);
  const assigned = new Map<string, string>();
  const assign = (name: string, value: string) => {
    if (assigned.has(name)) throw new UsageError(`${option} gives ${name} twice (${assigned.get(name)} and ${value}).`);
    assigned.set(name, value);
  };
  for (const value of values) {
    const named = /^([a-z0-9][a-z0-9-]*)=(.+)$/.exec(value);
    if (named && !names.includes(named[1]!)) {
      throw new UsageError(
        `${option} ${value}: ${app.name} has no image "${named[1]}".`,
        `Its images: ${names.join(', ')}.`,
      );
    }
    if (named) assign(named[1]!, named[2]!);
    else if (options.matchReference) {
      const problem = imageReferenceProblem(value);
      if (problem)
        throw new UsageError(`${option}: ${problem}.`, `Example: ${option} ghcr.io/me/${names[0]}:sha-1a2b3c4`);
      const name = parseImageReference(value)!.repository.split('/').pop()!;
      if (!names.includes(name)) {
        throw new UsageError(
          `${option} ${value}: its repository is not one of ${app.name}'s images (${names.join(', ')}).`,
          `Name the image it stands for: ${option} ${names[0]}=${value}`,
        );
      }
      assign(name, value);
    } else for (const name of names) assign(name, value);
  }
  if (options.matchReference) {
    for (const [name, value] of assigned) {
      const problem = imageReferenceProblem(value);
      if (problem) throw new UsageError(`${option} for ${name}: ${problem}.`);
    }
  }
  return assigned;
}

/** `--image REPO:TAG`, `REPO@sha256:…` or `REPO:TAG@sha256:…` (checked before). */
function existingImage(reference: string): ImagePlan {
  const parsed = parseImageReference(reference)!;
  return {
    repository: parsed.repository,
    tag: parsed.tag ?? 'by-digest',
    pushTags: [],
    digest: parsed.digest,
    build: false,
  };
}
