/** git, wrapped: the commit an image is built from and whether the work tree has uncommitted changes. */
import type { Runner } from './lib/shell.ts';

export function headArgs(): string[] {
  return ['git', 'rev-parse', 'HEAD'];
}

export function statusArgs(): string[] {
  return ['git', 'status', '--porcelain', '--untracked-files=normal'];
}

/** The work tree's top folder (exit 128 outside any repository). */
export function topLevelArgs(): string[] {
  return ['git', 'rev-parse', '--show-toplevel'];
}

/** Exit 0: git ignores the path; 1: it does not (a tracked file is never ignored); 128: no repository here. */
export function checkIgnoreArgs(file: string): string[] {
  return ['git', 'check-ignore', '--quiet', '--', file];
}

export function remoteUrlArgs(): string[] {
  return ['git', 'remote', 'get-url', 'origin'];
}

export interface WorkTreeState {
  commit: string;
  shortCommit: string;
  dirty: boolean;
  /** The first few changed paths, to show the user what is uncommitted. */
  changes: string[];
  /** e.g. https://github.com/me/project, for the image's org.opencontainers.image.source label. */
  sourceUrl?: string;
}

export async function workTreeState(shell: Runner, cwd: string): Promise<WorkTreeState> {
  const [head, status, remote] = await Promise.all([
    shell.run(headArgs(), {
      kind: 'read',
      cwd,
      hint: 'deckhand tags images with the git commit: run it inside a git repository with at least one commit.',
    }),
    shell.run(statusArgs(), { kind: 'read', cwd }),
    shell.run(remoteUrlArgs(), { kind: 'read', cwd, nothrow: true }),
  ]);
  const commit = head.stdout.trim();
  const changes = status.stdout.split('\n').filter((line) => line.trim() !== '');
  return {
    commit,
    shortCommit: commit.slice(0, 7),
    dirty: changes.length > 0,
    changes: changes.slice(0, 10).map((line) => line.slice(3)),
    sourceUrl: remote.exitCode === 0 ? toHttpsUrl(remote.stdout.trim()) : undefined,
  };
}

/** git@github.com:me/project.git → https://github.com/me/project (credentials in https URLs are dropped). */
export function toHttpsUrl(remote: string): string | undefined {
  const ssh = /^git@([^:]+):(.+?)(\.git)?$/.exec(remote);
  if (ssh) return `https://${ssh[1]}/${ssh[2]}`;
  try {
    const url = new URL(remote);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined;
    url.username = '';
    url.password = '';
    return url.toString().replace(/\.git$/, '');
  } catch {
    return undefined;
  }
}
