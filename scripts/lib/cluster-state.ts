/**
 * The cluster this project manages, remembered in `.deckhand/cluster.json` (git-ignored) when
 * `tasks.ts kubeconfig` writes a kubeconfig: its label, API server and kubeconfig path. Target resolution prefers that
 * kubeconfig, and write commands refuse any other API server unless the user names one explicitly.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface ManagedCluster {
  label: string;
  /** API server URL, compared with the target's before any write. */
  server: string;
  kubeconfig: string;
  context: string;
  clusterId?: number;
  recordedAt: string;
}

export function managedClusterFile(repoRoot: string): string {
  return path.join(repoRoot, '.deckhand', 'cluster.json');
}

export function readManagedCluster(repoRoot: string): ManagedCluster | undefined {
  try {
    return JSON.parse(readFileSync(managedClusterFile(repoRoot), 'utf8')) as ManagedCluster;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** Written atomically (temp file + rename) so an interrupted write never leaves half a file. */
export function writeManagedCluster(repoRoot: string, cluster: ManagedCluster): void {
  const file = managedClusterFile(repoRoot);
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, `${JSON.stringify(cluster, null, 2)}\n`, { mode: 0o600 });
  renameSync(temp, file);
}
