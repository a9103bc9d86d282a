/**
 * The `kubernetes.io/change-cause` deckhand writes on every revision it makes: what was rolled out (commit, image
 * digests), by whom and when — and, once the roll-out has ended, how it ended. `kubectl rollout history` shows it;
 * `status` and the rollback picker read the commit back from it.
 *
 *   deckhand deploy of commit 1a2b3c4 by alice at 2026-01-25T14:30:22Z: wpp-bot@sha256:0123456789ab; rolled out
 */
import os from 'node:os';
import { parseImageReference } from '../../lib/image-ref.ts';

/** Real API servers accept long annotations; `rollout history` prints them on one line, so they stay short. */
const MAX_LENGTH = 300;

export interface ChangeCauseInput {
  action: 'deploy' | 'restart' | 'rollback';
  shortCommit?: string;
  who: string;
  at: string;
  /** The container images of the revision. */
  images: readonly string[];
  /** Why the template changed besides the images, e.g. "its Secret or ConfigMap values changed". */
  note?: string;
}

export function changeCause(input: ChangeCauseInput): string {
  const commit = input.shortCommit ? ` of commit ${input.shortCommit}` : '';
  const images = input.images.map(shortImage).join(', ');
  const note = input.note ? ` (${input.note})` : '';
  return clip(
    `deckhand ${input.action}${commit} by ${input.who} at ${input.at.replace(/\.\d+Z$/, 'Z')}: ${images}${note}`,
  );
}

/** The change-cause with how the roll-out ended, replacing an earlier ending. */
export function withOutcome(cause: string, outcome: string): string {
  return clip(`${cause.replace(/; (rolled out|failed|not watched).*$/, '')}; ${outcome}`);
}

/**
 * The commit a revision's code comes from: its image's sha-<commit> tag (what deckhand builds), else the commit named
 * in deckhand's change-cause (the manifests' commit, for images such as postgres that are not built here).
 */
export function commitOf(cause: string | undefined, image: string | undefined): string | undefined {
  const tag = image ? parseImageReference(image)?.tag : undefined;
  const fromTag = tag ? /^sha-([0-9a-f]{7,40})/.exec(tag)?.[1] : undefined;
  return fromTag ?? (cause ? /\bcommit ([0-9a-f]{7,40})\b/.exec(cause)?.[1] : undefined);
}

/** Who rolls out: the GitHub actor in Actions, else this machine's user. */
export function whoRollsOut(env: Readonly<Record<string, string | undefined>>): string {
  if (env.GITHUB_ACTOR) return `${env.GITHUB_ACTOR} (GitHub Actions)`;
  try {
    return os.userInfo().username;
  } catch {
    return 'unknown';
  }
}

/** `ghcr.io/me/wpp-bot:sha-1a2b3c4@sha256:0123…` → `wpp-bot@sha256:0123456789ab`: enough to tell builds apart. */
export function shortImage(reference: string): string {
  const parsed = parseImageReference(reference);
  if (!parsed) return reference;
  const name = parsed.repository.split('/').pop() ?? parsed.repository;
  if (parsed.digest) return `${name}@${parsed.digest.slice(0, 19)}`;
  return parsed.repository.includes('/') ? `${name}:${parsed.tag ?? ''}` : reference;
}

function clip(text: string): string {
  return text.length <= MAX_LENGTH ? text : `${text.slice(0, MAX_LENGTH - 1)}…`;
}
