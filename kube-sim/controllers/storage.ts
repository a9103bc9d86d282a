/**
 * Volumes as LKE provisions them: a PVC whose StorageClass exists (the default one when it names none) gets a
 * PersistentVolume from the Linode CSI driver and binds; a missing class leaves it Pending with ProvisioningFailed.
 * Deleting the claim honours the volume's reclaim policy (Retain -> the PV is Released and keeps its files;
 * Delete -> the CSI driver deletes the Linode volume, then the PV goes), also when the policy of a Released volume is
 * switched to Delete later. A class with volumeBindingMode WaitForFirstConsumer provisions nothing until the scheduler
 * has picked a node for a pod that uses the claim (and named it on the claim, SELECTED_NODE); until then the claim
 * stays Pending with a Normal WaitForFirstConsumer event, which is no fault. The pvc-protection and pv-protection finalizers hold a claim while a running
 * pod uses it and a volume while it is bound, as in a real cluster.
 */
import { clone, getPath, isPlainObject, timestamp } from '../json.ts';
import { LinodeCloud } from '../linode-cloud.ts';
import { typeFor } from '../resources.ts';
import { LINODE_CSI_DRIVER } from '../seed.ts';
import type { StoreEvent } from '../store.ts';
import { FINALIZERS } from '../strategies.ts';
import type { KubeObject } from '../types.ts';
import type { Controller, ControllerContext } from './runtime.ts';

const PVC = typeFor('v1', 'PersistentVolumeClaim');
const PV = typeFor('v1', 'PersistentVolume');
const POD = typeFor('v1', 'Pod');
const STORAGE_CLASS = typeFor('storage.k8s.io/v1', 'StorageClass');
const BINDER = { component: 'persistentvolume-controller' };
/** The annotation the scheduler puts on a WaitForFirstConsumer claim once it has chosen the pod's node. */
export const SELECTED_NODE = 'volume.kubernetes.io/selected-node';
const PROVISIONER = { component: `${LINODE_CSI_DRIVER}_csi-linode-controller-0_6c0f5fd8-2f0e-4b5c-9f53-4b1e8e0c2a11` };

// Linode Block Storage volumes are at least 10 GiB; LKE rounds smaller claims up.
const MIN_BYTES = 10 * 1024 ** 3;

const UNITS: Record<string, number> = {
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  Ki: 1024,
  Mi: 1024 ** 2,
  Gi: 1024 ** 3,
  Ti: 1024 ** 4,
};

export function quantityBytes(quantity: unknown): number {
  const match = /^(\d+(?:\.\d+)?)([a-zA-Z]*)$/.exec(String(quantity ?? '0'));
  if (!match) return 0;
  return Number(match[1]) * (UNITS[match[2] ?? ''] ?? 1);
}

function capacityFor(request: unknown): string {
  return quantityBytes(request) >= MIN_BYTES ? String(request) : '10Gi';
}

function podUsesClaim(pod: KubeObject, claimName: string): boolean {
  const volumes = getPath(pod, 'spec.volumes');
  return (
    Array.isArray(volumes) &&
    volumes.some((v) => isPlainObject(v) && getPath(v, 'persistentVolumeClaim.claimName') === claimName)
  );
}

function podIsTerminated(pod: KubeObject): boolean {
  const phase = getPath(pod, 'status.phase');
  return phase === 'Succeeded' || phase === 'Failed';
}

export class StorageController implements Controller {
  readonly name = 'storage';
  private readonly ctx: ControllerContext;
  private readonly provisioning = new Set<string>();
  private readonly reclaiming = new Set<string>();
  private readonly cloud: LinodeCloud;

  constructor(ctx: ControllerContext, cloud: LinodeCloud = new LinodeCloud()) {
    this.ctx = ctx;
    this.cloud = cloud;
  }

  handle(event: StoreEvent): void {
    const obj = event.object;
    switch (obj.kind) {
      case 'PersistentVolumeClaim':
        if (event.type === 'DELETED') this.claimDeleted(obj);
        else this.reconcileClaim(obj.metadata.namespace ?? '', obj.metadata.name ?? '');
        break;
      case 'PersistentVolume':
        if (event.type === 'DELETED') this.ctx.volumes.drop(obj.metadata.name ?? '');
        else this.reconcileVolume(obj.metadata.name ?? '');
        break;
      case 'StorageClass':
        if (event.type !== 'DELETED')
          for (const pvc of this.ctx.registry.list(PVC))
            this.reconcileClaim(pvc.metadata.namespace ?? '', pvc.metadata.name ?? '');
        break;
      case 'Pod':
        // A pod that stops or goes may release a claim held by pvc-protection.
        for (const pvc of this.ctx.registry.list(PVC, { namespace: obj.metadata.namespace ?? '' })) {
          if (pvc.metadata.deletionTimestamp) this.releaseProtection(pvc);
        }
        break;
      default:
        break;
    }
  }

  private reconcileClaim(namespace: string, name: string): void {
    const pvc = this.ctx.registry.find(PVC, namespace, name);
    if (!pvc) return;
    if (pvc.metadata.deletionTimestamp) {
      this.releaseProtection(pvc);
      return;
    }
    if (getPath(pvc, 'status.phase') === 'Bound') return;
    const volumeName = getPath(pvc, 'spec.volumeName');
    if (typeof volumeName === 'string' && volumeName) {
      const pv = this.ctx.registry.find(PV, undefined, volumeName);
      const claimRefUid = pv ? getPath(pv, 'spec.claimRef.uid') : undefined;
      if (pv && (getPath(pv, 'status.phase') === 'Available' || claimRefUid === pvc.metadata.uid)) this.bind(pvc, pv);
      return;
    }
    const className = getPath(pvc, 'spec.storageClassName');
    const preBound = this.ctx.registry
      .list(PV)
      .find(
        (pv) =>
          getPath(pv, 'spec.claimRef.name') === name &&
          getPath(pv, 'spec.claimRef.namespace') === namespace &&
          getPath(pv, 'status.phase') === 'Available',
      );
    if (preBound) {
      this.bind(pvc, preBound);
      return;
    }
    if (className === undefined || className === '') {
      const request = quantityBytes(getPath(pvc, 'spec.resources.requests.storage'));
      const match = this.ctx.registry
        .list(PV)
        .find(
          (pv) =>
            getPath(pv, 'status.phase') === 'Available' &&
            !getPath(pv, 'spec.claimRef') &&
            (getPath(pv, 'spec.storageClassName') ?? '') === '' &&
            quantityBytes(getPath(pv, 'spec.capacity.storage')) >= request,
        );
      if (match) this.bind(pvc, match);
      else
        this.ctx.events.record(
          pvc,
          'Normal',
          'FailedBinding',
          'no persistent volumes available for this claim and no storage class is set',
          BINDER,
        );
      return;
    }
    const storageClass = this.ctx.registry.find(STORAGE_CLASS, undefined, String(className));
    if (!storageClass) {
      this.ctx.events.record(
        pvc,
        'Warning',
        'ProvisioningFailed',
        `storageclass.storage.k8s.io "${String(className)}" not found`,
        BINDER,
      );
      return;
    }
    if (storageClass['volumeBindingMode'] === 'WaitForFirstConsumer' && !pvc.metadata.annotations?.[SELECTED_NODE]) {
      this.ctx.events.record(
        pvc,
        'Normal',
        'WaitForFirstConsumer',
        'waiting for first consumer to be created before binding',
        BINDER,
      );
      return;
    }
    const uid = pvc.metadata.uid ?? '';
    if (this.provisioning.has(uid)) return;
    this.provisioning.add(uid);
    const annotated = clone(pvc);
    annotated.metadata.annotations = {
      ...annotated.metadata.annotations,
      'volume.beta.kubernetes.io/storage-provisioner': String(storageClass['provisioner']),
      'volume.kubernetes.io/storage-provisioner': String(storageClass['provisioner']),
    };
    const written = this.ctx.registry.writeInternal(PVC, annotated) ?? pvc;
    this.ctx.events.record(
      written,
      'Normal',
      'ExternalProvisioning',
      `Waiting for a volume to be created either by the external provisioner '${String(storageClass['provisioner'])}' or manually by the system administrator. If volume creation is delayed, please verify that the provisioner is running and correctly registered.`,
      BINDER,
    );
    this.ctx.events.record(
      written,
      'Normal',
      'Provisioning',
      `External provisioner is provisioning volume for claim "${namespace}/${name}"`,
      PROVISIONER,
    );
    this.ctx.timers.after(this.ctx.timings.provisionMs, `provision ${namespace}/${name}`, () => {
      this.provisioning.delete(uid);
      const current = this.ctx.registry.find(PVC, namespace, name);
      if (!current || current.metadata.uid !== uid || current.metadata.deletionTimestamp) return;
      const pvName = `pvc-${uid}`;
      const pv = this.ctx.registry.create(PV, undefined, {
        apiVersion: 'v1',
        kind: 'PersistentVolume',
        metadata: {
          name: pvName,
          annotations: {
            'pv.kubernetes.io/provisioned-by': LINODE_CSI_DRIVER,
            'volume.kubernetes.io/provisioner-deletion-secret-name': '',
            'volume.kubernetes.io/provisioner-deletion-secret-namespace': '',
          },
        },
        spec: {
          accessModes: getPath(current, 'spec.accessModes'),
          capacity: { storage: capacityFor(getPath(current, 'spec.resources.requests.storage')) },
          csi: {
            driver: LINODE_CSI_DRIVER,
            fsType: 'ext4',
            volumeHandle: `${4_000_000 + Math.floor(Math.random() * 999_999)}-pvc${uid.replace(/-/g, '')}`,
            volumeAttributes: {
              'storage.kubernetes.io/csiProvisionerIdentity': '1700000000000-8081-linodebs.csi.linode.com',
            },
          },
          persistentVolumeReclaimPolicy: storageClass['reclaimPolicy'] ?? 'Delete',
          storageClassName: className,
          volumeMode: getPath(current, 'spec.volumeMode') ?? 'Filesystem',
          claimRef: {
            kind: 'PersistentVolumeClaim',
            namespace,
            name,
            uid,
            apiVersion: 'v1',
            resourceVersion: current.metadata.resourceVersion,
          },
        },
      });
      this.ctx.events.record(
        current,
        'Normal',
        'ProvisioningSucceeded',
        `Successfully provisioned volume ${pvName}`,
        PROVISIONER,
      );
      this.bind(current, pv);
    });
  }

  private bind(pvc: KubeObject, pv: KubeObject): void {
    const boundPv = clone(pv);
    (boundPv['spec'] as Record<string, unknown>)['claimRef'] = {
      kind: 'PersistentVolumeClaim',
      namespace: pvc.metadata.namespace,
      name: pvc.metadata.name,
      uid: pvc.metadata.uid,
      apiVersion: 'v1',
      resourceVersion: pvc.metadata.resourceVersion,
    };
    boundPv.metadata.annotations = { ...boundPv.metadata.annotations, 'pv.kubernetes.io/bound-by-controller': 'yes' };
    boundPv['status'] = { phase: 'Bound', lastPhaseTransitionTime: timestamp() };
    this.ctx.registry.writeInternal(PV, boundPv);

    const boundPvc = clone(pvc);
    (boundPvc['spec'] as Record<string, unknown>)['volumeName'] = pv.metadata.name;
    boundPvc.metadata.annotations = {
      ...boundPvc.metadata.annotations,
      'pv.kubernetes.io/bind-completed': 'yes',
      'pv.kubernetes.io/bound-by-controller': 'yes',
    };
    boundPvc['status'] = {
      phase: 'Bound',
      accessModes: getPath(pv, 'spec.accessModes'),
      capacity: getPath(pv, 'spec.capacity'),
    };
    this.ctx.registry.writeInternal(PVC, boundPvc);
  }

  /** pvc-protection: a claim being deleted goes only when no running pod mounts it. */
  private releaseProtection(pvc: KubeObject): void {
    const namespace = pvc.metadata.namespace ?? '';
    const name = pvc.metadata.name ?? '';
    const inUse = this.ctx.registry
      .list(POD, { namespace })
      .some((pod) => podUsesClaim(pod, name) && !podIsTerminated(pod));
    if (!inUse) this.ctx.registry.removeFinalizer(PVC, namespace, name, FINALIZERS.PVC_PROTECTION);
  }

  private claimDeleted(pvc: KubeObject): void {
    const pvName = getPath(pvc, 'spec.volumeName');
    if (typeof pvName !== 'string' || !pvName) return;
    const pv = this.ctx.registry.find(PV, undefined, pvName);
    if (!pv || getPath(pv, 'spec.claimRef.uid') !== pvc.metadata.uid) return;
    const released = clone(pv);
    released['status'] = { phase: 'Released', lastPhaseTransitionTime: timestamp() };
    // A Delete volume is reclaimed from its Released state (reconcileVolume), however it got there.
    this.ctx.registry.writeInternal(PV, released);
  }

  /** The CSI driver's external provisioner: deletes the Linode volume of a Released Delete PV, then the PV. */
  private reclaim(pv: KubeObject): void {
    const name = pv.metadata.name ?? '';
    const uid = pv.metadata.uid ?? '';
    if (this.reclaiming.has(uid)) return;
    this.reclaiming.add(uid);
    this.ctx.timers.after(this.ctx.timings.provisionMs, `reclaim ${name}`, () => {
      this.reclaiming.delete(uid);
      const current = this.ctx.registry.find(PV, undefined, name);
      if (!current || current.metadata.uid !== uid || current.metadata.deletionTimestamp) return;
      if (
        getPath(current, 'status.phase') !== 'Released' ||
        getPath(current, 'spec.persistentVolumeReclaimPolicy') !== 'Delete'
      )
        return;
      const failure =
        getPath(current, 'spec.csi.driver') === LINODE_CSI_DRIVER ? this.cloud.deleteVolume(current) : undefined;
      if (failure) {
        // The provisioner retries with a back-off; one Warning per attempt the simulator makes.
        this.ctx.events.record(current, 'Warning', 'VolumeFailedDelete', failure, PROVISIONER);
        return;
      }
      this.ctx.registry.delete(PV, undefined, name, {});
    });
  }

  private reconcileVolume(name: string): void {
    const pv = this.ctx.registry.find(PV, undefined, name);
    if (!pv) return;
    const phase = getPath(pv, 'status.phase');
    if (pv.metadata.deletionTimestamp) {
      if (phase !== 'Bound') this.ctx.registry.removeFinalizer(PV, undefined, name, FINALIZERS.PV_PROTECTION);
      return;
    }
    if (phase === 'Released' && getPath(pv, 'spec.persistentVolumeReclaimPolicy') === 'Delete') {
      this.reclaim(pv);
      return;
    }
    const claimRef = getPath(pv, 'spec.claimRef');
    // A new volume, or a Released one whose claimRef an administrator cleared, is Available for binding.
    if (phase === 'Pending' || phase === undefined || (phase === 'Released' && !claimRef)) {
      const available = clone(pv);
      available['status'] = { phase: 'Available', lastPhaseTransitionTime: timestamp() };
      this.ctx.registry.writeInternal(PV, available);
      return;
    }
    if (phase === 'Available' && isPlainObject(claimRef)) {
      const pvc = this.ctx.registry.find(PVC, String(claimRef['namespace'] ?? ''), String(claimRef['name'] ?? ''));
      if (pvc && getPath(pvc, 'status.phase') !== 'Bound')
        this.reconcileClaim(pvc.metadata.namespace ?? '', pvc.metadata.name ?? '');
    }
  }
}
