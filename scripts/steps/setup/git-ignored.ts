/**
 * A secret is written into .env only when git ignores .env: otherwise the next `git add .` would commit it. Asked of
 * git itself (`git check-ignore`), so every .gitignore, .git/info/exclude and global exclude file counts, and a
 * tracked .env counts as not ignored. A file outside any repository cannot be committed by accident.
 */
import { realpathSync } from 'node:fs';
import path from 'node:path';
import * as git from '../../git.ts';
import { DeckhandError, UsageError } from '../../lib/errors.ts';
import type { SetupContext } from './run.ts';

export type IgnoreState = 'ignored' | 'not-ignored' | 'outside';

export async function gitIgnoreState(ctx: Pick<SetupContext, 'shell'>, file: string): Promise<IgnoreState> {
  const cwd = path.dirname(file);
  // git answers "not ignored" for a path outside its work tree (GIT_DIR and GIT_WORK_TREE point elsewhere), so
  // where the work tree is comes first.
  const top = await ctx.shell.run(git.topLevelArgs(), { kind: 'read', cwd, nothrow: true });
  if (top.exitCode !== 0) {
    if (/not a git repository/i.test(top.stderr)) return 'outside';
    throw unknownState(file, top.exitCode, top.stderr);
  }
  const root = realpathSync(top.stdout.trim());
  const relative = path.relative(root, path.join(realpathSync(cwd), path.basename(file)));
  if (relative.startsWith('..') || path.isAbsolute(relative)) return 'outside';
  const result = await ctx.shell.run(git.checkIgnoreArgs(path.basename(file)), { kind: 'read', cwd, nothrow: true });
  if (result.exitCode === 0) return 'ignored';
  if (result.exitCode === 1) return 'not-ignored';
  throw unknownState(file, result.exitCode, result.stderr);
}

function unknownState(file: string, exitCode: number, stderr: string): DeckhandError {
  return new DeckhandError(
    `Could not ask git whether ${file} is ignored (exit ${exitCode}: ${stderr.trim().split('\n').pop() ?? ''}).`,
    'Nothing was written. Fix the git repository (or set DECKHAND_ENV_DIR to a folder outside it), then run setup again.',
  );
}

export async function ensureGitIgnored(
  ctx: Pick<SetupContext, 'shell'>,
  file: string,
  secrets: readonly string[],
): Promise<void> {
  if ((await gitIgnoreState(ctx, file)) !== 'not-ignored') return;
  throw new UsageError(
    `${file} is not ignored by git, so ${secrets.join(' and ')} would be committed with it: nothing was written.`,
    `Add the line ".env" to the .gitignore of ${path.dirname(file)} (deckhand's own .gitignore has it), or if .env is tracked: git rm --cached .env. Then run setup again.`,
  );
}
