/**
 * The state a fresh LKE cluster shows: system namespaces, three worker nodes, the `kubernetes` Service, and Linode's
 * two block-storage StorageClasses (`linode-block-storage-retain` is the default and keeps volumes; the other deletes them).
 */
import { microTimestamp } from './json.ts';
import type { Registry } from './registry.ts';
import { typeFor } from './resources.ts';
import { FINALIZERS } from './strategies.ts';
import type { KubeObject } from './types.ts';

export const LINODE_CSI_DRIVER = 'linodebs.csi.linode.com';
export const NODE_NAMES = [
  'lke314159-426535-1a2b3c4d0000',
  'lke314159-426535-1a2b3c4d0001',
  'lke314159-426535-1a2b3c4d0002',
];

function node(name: string, index: number): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      labels: {
        'kubernetes.io/hostname': name,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        'node.kubernetes.io/instance-type': 'g6-standard-2',
        'topology.kubernetes.io/region': 'us-ord',
        'lke.linode.com/pool-id': '426535',
      },
    },
    spec: { podCIDR: `10.2.${index}.0/25`, providerID: `linode://${60_000_000 + index}` },
    status: {
      capacity: { cpu: '2', memory: '4020484Ki', pods: '110', 'ephemeral-storage': '81000912Ki' },
      allocatable: { cpu: '2', memory: '3918084Ki', pods: '110', 'ephemeral-storage': '74651826684' },
      conditions: [
        { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status' },
      ],
      addresses: [
        { type: 'Hostname', address: name },
        { type: 'InternalIP', address: `192.168.140.${10 + index}` },
        { type: 'ExternalIP', address: `172.233.0.${10 + index}` },
      ],
      nodeInfo: {
        kubeletVersion: 'v1.34.1',
        containerRuntimeVersion: 'containerd://1.7.28',
        osImage: 'Debian GNU/Linux 12 (bookworm)',
        architecture: 'amd64',
        operatingSystem: 'linux',
      },
    },
  };
}

function storageClass(name: string, reclaimPolicy: 'Retain' | 'Delete', isDefault: boolean): KubeObject {
  return {
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: {
      name,
      ...(isDefault ? { annotations: { [FINALIZERS.DEFAULT_CLASS_ANNOTATION]: 'true' } } : {}),
      labels: { 'addonmanager.kubernetes.io/mode': 'Reconcile' },
    },
    provisioner: LINODE_CSI_DRIVER,
    reclaimPolicy,
    volumeBindingMode: 'Immediate',
    allowVolumeExpansion: true,
  };
}

export function seedCluster(registry: Registry): void {
  for (const name of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) {
    registry.create(typeFor('v1', 'Namespace'), undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  }
  NODE_NAMES.forEach((name, i) => registry.create(typeFor('v1', 'Node'), undefined, node(name, i)));
  // Kubelets' heartbeats, which `kubectl describe node` reads.
  for (const name of NODE_NAMES) {
    registry.create(typeFor('coordination.k8s.io/v1', 'Lease'), 'kube-node-lease', {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name },
      spec: { holderIdentity: name, leaseDurationSeconds: 40, renewTime: microTimestamp() },
    });
  }
  registry.create(
    typeFor('storage.k8s.io/v1', 'StorageClass'),
    undefined,
    storageClass('linode-block-storage-retain', 'Retain', true),
  );
  registry.create(
    typeFor('storage.k8s.io/v1', 'StorageClass'),
    undefined,
    storageClass('linode-block-storage', 'Delete', false),
  );
  registry.create(typeFor('storage.k8s.io/v1', 'CSIDriver'), undefined, {
    apiVersion: 'storage.k8s.io/v1',
    kind: 'CSIDriver',
    metadata: { name: LINODE_CSI_DRIVER },
    spec: { attachRequired: true, podInfoOnMount: true, volumeLifecycleModes: ['Persistent'] },
  });
  registry.create(typeFor('v1', 'Service'), 'default', {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'kubernetes', labels: { component: 'apiserver', provider: 'kubernetes' } },
    spec: {
      type: 'ClusterIP',
      clusterIP: '10.128.0.1',
      ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: 6443 }],
    },
  });
}
