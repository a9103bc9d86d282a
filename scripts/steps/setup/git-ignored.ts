/**
 * A secret is written into .env only when git ignores .env: otherwise the next `git add .` would commit it. Asked of
 * git itself (`git check-ignore`), so every .gitignore, .git/info/exclude and global exclude file counts, and a
 * tracked .env counts as not ignored. A file outside any repository cannot be committed by accident.
 */
import path from 'node:path';
import * as git from '../../git.ts';
import { DeckhandError, UsageError } from '../../lib/errors.ts';
import type { SetupContext } from './run.ts';

export type IgnoreState = 'ignored' | 'not-ignored' | 'outside';

export async function gitIgnoreState(ctx: Pick<SetupContext, 'shell'>, file: string): Promise<IgnoreState> {
  const result = await ctx.shell.run(git.checkIgnoreArgs(path.basename(file)), {
    kind: 'read',
    cwd: path.dirname(file),
    nothrow: true,
  });
  if (result.exitCode === 0) return 'ignored';
  if (result.exitCode === 1) return 'not-ignored';
  if (/not a git repository|outside repository|is outside/i.test(result.stderr)) return 'outside';
  throw new DeckhandError(
    `Could not ask git whether ${file} is ignored (exit ${result.exitCode}: ${result.stderr.trim().split('\n').pop() ?? ''}).`,
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
