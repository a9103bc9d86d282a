/** Kubeconfig files pointing at a simulated cluster. Mode 0600, because helm warns about group-readable configs. */
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { stringify } from 'yaml';

export interface KubeconfigOptions {
  /** Context and cluster name (default `kube-sim`). */
  context?: string;
  /** Namespace the context selects (default `default`). */
  namespace?: string;
  /** User entry name (default `kube-sim-admin`). */
  user?: string;
}

export function kubeconfigYaml(url: string, options: KubeconfigOptions = {}): string {
  const context = options.context ?? 'kube-sim';
  const user = options.user ?? 'kube-sim-admin';
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    preferences: {},
    clusters: [{ name: context, cluster: { server: url } }],
    users: [{ name: user, user: { token: 'kube-sim-token' } }],
    contexts: [{ name: context, context: { cluster: context, user, namespace: options.namespace ?? 'default' } }],
    'current-context': context,
  });
}

export async function writeKubeconfig(file: string, url: string, options: KubeconfigOptions = {}): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, kubeconfigYaml(url, options), { mode: 0o600 });
  // writeFile's mode only applies to new files; an existing file keeps its mode otherwise.
  await chmod(file, 0o600);
}
