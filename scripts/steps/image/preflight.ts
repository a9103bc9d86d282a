/**
 * What a build needs, checked before a deploy changes anything, so it fails at once with the fix instead of minutes
 * later with docker's own words: Dockerfile and build context values that cannot become docker options and that name
 * a file and a folder that exist, and a docker engine that answers (the client alone cannot build).
 *
 * In a dry run the files are checked too (a read), but a silent engine is only a warning: `deploy --dry-run` is the
 * README's first command and needs neither a cluster nor a running docker engine.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import * as docker from '../../docker.ts';
import { CommandError, DeckhandError, ToolMissingError, UsageError, ValidationError } from '../../lib/errors.ts';
import type { Runner } from '../../lib/shell.ts';

/** One image's Dockerfile and context, each with the option that set it (none: the app's own entry). */
export interface BuildSource {
  image: string;
  dockerfile: { value: string; option?: '--dockerfile' };
  context: { value: string; option?: '--build-context' };
}

const ENGINE_TIMEOUT_MS = 15_000;

/**
 * A --dockerfile or --build-context value starting with "-" would reach docker as an option (`--output=/tmp/x` makes
 * docker write the image to a folder): refused, exit 2. Needs no I/O.
 */
export function refuseOptionLikeValue(option: '--dockerfile' | '--build-context', value: string): void {
  if (!value.startsWith('-')) return;
  throw new UsageError(
    `${option} ${value}: a value that starts with "-" would reach docker as an option, not as a path.`,
    `Give the ${option === '--dockerfile' ? 'Dockerfile' : 'build context folder'}'s path; for one whose name starts with "-", write ./${value}.`,
  );
}

/** Every source's Dockerfile is a file and its context a folder (paths relative to the project); else exit 2. */
export async function checkBuildSources(repoRoot: string, sources: readonly BuildSource[]): Promise<void> {
  const problems: string[] = [];
  for (const source of sources) {
    refuseOptionLikeValue('--dockerfile', source.dockerfile.value);
    refuseOptionLikeValue('--build-context', source.context.value);
    const [dockerfile, context] = await Promise.all([
      kindOf(path.resolve(repoRoot, source.dockerfile.value)),
      kindOf(path.resolve(repoRoot, source.context.value)),
    ]);
    const named = (setting: { value: string; option?: string }, what: string) =>
      setting.option ? `${setting.option} ${setting.value}` : `${source.image}'s ${what} ${setting.value}`;
    if (dockerfile !== 'file') {
      problems.push(
        `${named(source.dockerfile, 'Dockerfile')}: ${dockerfile === 'missing' ? 'no such file' : 'is a folder, not a file'}`,
      );
    }
    if (context !== 'folder') {
      problems.push(
        `${named(source.context, 'build context')}: ${context === 'missing' ? 'no such folder' : 'is a file, not a folder'}`,
      );
    }
  }
  if (problems.length === 0) return;
  throw new ValidationError(
    `The image cannot be built (paths are relative to ${repoRoot}):`,
    problems,
    'Pass --dockerfile FILE and --build-context FOLDER to build from elsewhere, or --image REF to deploy an existing image instead of building one.',
  );
}

async function kindOf(file: string): Promise<'file' | 'folder' | 'missing'> {
  try {
    return (await stat(file)).isDirectory() ? 'folder' : 'file';
  } catch {
    return 'missing';
  }
}

/**
 * `docker --version` answers without an engine; a build needs the engine. A line for the prerequisites (undefined
 * when docker itself is not installed: that is reported as a missing tool). A real run that would build stops here
 * when the engine does not answer; a dry run warns.
 */
export async function checkDockerEngine(shell: Runner, dryRun: boolean): Promise<string | undefined> {
  let answer: { ok: boolean; text: string };
  try {
    const result = await shell.run(docker.serverVersionArgs(), {
      kind: 'read',
      nothrow: true,
      timeoutMs: ENGINE_TIMEOUT_MS,
    });
    const text = (result.exitCode === 0 ? result.stdout : result.stderr).trim();
    answer = { ok: result.exitCode === 0 && text !== '', text };
  } catch (error) {
    if (error instanceof ToolMissingError) return undefined;
    if (!(error instanceof CommandError && error.timedOut)) throw error;
    answer = { ok: false, text: 'no answer within 15 s' };
  }
  if (answer.ok) return `docker engine ${answer.text} answers`;
  const why = answer.text.split('\n').pop() || 'no answer';
  const [problem, fix] = /permission denied/i.test(why)
    ? [
        `docker's engine refuses this user (${why})`,
        'add yourself to the docker group (`sudo usermod -aG docker $USER`, then log in again)',
      ]
    : [
        `docker is installed but its engine is not running (${why})`,
        'start Docker Desktop / `sudo systemctl start docker`',
      ];
  if (dryRun) return `⚠ ${problem}: a real run needs it to build; ${fix}`;
  throw new DeckhandError(
    `${problem}: the image cannot be built.`,
    `${fix[0]!.toUpperCase()}${fix.slice(1)}, then run again (or pass --image REF to deploy an existing image).`,
  );
}
