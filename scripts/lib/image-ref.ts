/**
 * Image references — `registry[:port]/path[:tag][@algorithm:hex]` — parsed in one place: for `--image`, for the run
 * record, and for the images the cluster reports. Whether a reference is good enough to deploy (pinned, not
 * `latest`) is a separate question, answered by imageReferenceProblem.
 */

export interface ImageReference {
  /** Everything before the tag and digest: `ghcr.io/me/caelundas`, `localhost:5000/tests/app`. */
  repository: string;
  tag?: string;
  digest?: string;
}

const REPOSITORY = /^(?:[a-z0-9][a-z0-9.-]*(?::\d+)?\/)?[a-z0-9][a-z0-9._/-]*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[a-z0-9]+:[0-9a-f]+$/;
const SHA256_DIGEST = /^sha256:[0-9a-f]{64}$/;
/**
 * The image-name grammar of the distribution spec (what docker and the registries accept, and the kubernetes-job
 * chart's schema checks): host components that neither start nor end with `-`, and lowercase path components whose
 * separators (`.`, `_`, `__`, `-`) stand between letters or digits. parseImageReference is looser on purpose: it
 * also reads what clusters report.
 */
const HOST_PART = '[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?';
const PATH_PART = '[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*';
const STRICT_REPOSITORY = new RegExp(
  `^(?:${HOST_PART}(?:\\.${HOST_PART})*(?::[0-9]+)?/)?${PATH_PART}(?:/${PATH_PART})*$`,
);

/** The parts of a reference, or undefined when it is not one. */
export function parseImageReference(reference: string): ImageReference | undefined {
  const at = reference.indexOf('@');
  const named = at === -1 ? reference : reference.slice(0, at);
  const digest = at === -1 ? undefined : reference.slice(at + 1);
  // A colon after the last slash starts the tag; one before it belongs to a registry port.
  const colon = named.lastIndexOf(':');
  const hasTag = colon > named.lastIndexOf('/');
  const repository = hasTag ? named.slice(0, colon) : named;
  const tag = hasTag ? named.slice(colon + 1) : undefined;
  if (!REPOSITORY.test(repository)) return undefined;
  if (tag !== undefined && !TAG.test(tag)) return undefined;
  if (digest !== undefined && !DIGEST.test(digest)) return undefined;
  return { repository, ...(tag !== undefined ? { tag } : {}), ...(digest !== undefined ? { digest } : {}) };
}

/** `repository[:tag][@digest]`. */
export function formatImageReference(image: ImageReference): string {
  return `${image.repository}${image.tag ? `:${image.tag}` : ''}${image.digest ? `@${image.digest}` : ''}`;
}

/** What is wrong with a reference given to deploy (it must pin what runs), or undefined. */
export function imageReferenceProblem(reference: string): string | undefined {
  const parsed = parseImageReference(reference);
  if (!parsed || (!parsed.tag && !parsed.digest) || (parsed.digest && !SHA256_DIGEST.test(parsed.digest))) {
    return `"${reference}" is not an image reference with a tag or digest (e.g. ghcr.io/me/caelundas:1.0.0 or …@sha256:<64 hex>)`;
  }
  if (!STRICT_REPOSITORY.test(parsed.repository)) {
    return `"${reference}": "${parsed.repository}" is not a valid image name (lowercase letters and digits, with one . _ __ or - between them, e.g. ghcr.io/me/caelundas)`;
  }
  if (parsed.tag === 'latest' && !parsed.digest) {
    return `"${reference}" uses the mutable tag latest: pin a version tag or a digest so every run is reproducible`;
  }
  return undefined;
}
