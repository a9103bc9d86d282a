/** A Kubernetes target for tests that build argv (no file is read). */
import type { KubeTarget } from '../../scripts/lib/target.ts';

export const TEST_TARGET: KubeTarget = {
  kubeconfig: '/home/me/.kube/lke.yaml',
  context: 'lke-ctx',
  cluster: 'lke',
  server: 'https://lke.example:443',
  namespace: 'caelundas',
  explicit: false,
  kubeconfigSource: 'test',
};
