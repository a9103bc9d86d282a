/**
 * Server-side printing (`as=Table`) for humans running kubectl against the simulator. Tests must parse `-o json`;
 * these columns only approximate the real ones.
 */
import { getPath, isPlainObject } from '../json.ts';
import type { KubeObject } from '../types.ts';

type Cell = string | number;

interface Column {
  name: string;
  type: string;
  format?: string;
  cell: (obj: KubeObject) => Cell;
}

export function humanAge(from: string | null | undefined, now = Date.now()): string {
  if (!from) return '<unknown>';
  const seconds = Math.max(0, Math.floor((now - Date.parse(from)) / 1000));
  const minutes = Math.floor(seconds / 60);
  const hours = Math.floor(minutes / 60);
  const days = Math.floor(hours / 24);
  if (seconds < 120) return `${seconds}s`;
  if (minutes < 10) return `${minutes}m${seconds % 60 ? `${seconds % 60}s` : ''}`;
  if (hours < 3) return `${minutes}m`;
  if (hours < 8) return `${hours}h${minutes % 60 ? `${minutes % 60}m` : ''}`;
  if (hours < 48) return `${hours}h`;
  if (days < 8) return `${days}d${hours % 24 ? `${hours % 24}h` : ''}`;
  return `${days}d`;
}

const str = (value: unknown, fallback = '<none>'): string =>
  value === undefined || value === null || value === '' ? fallback : String(value);
const nameColumn: Column = { name: 'Name', type: 'string', format: 'name', cell: (o) => o.metadata.name ?? '' };
const ageColumn: Column = { name: 'Age', type: 'string', cell: (o) => humanAge(o.metadata.creationTimestamp) };

function list(value: unknown): Record<string, unknown>[] {
  return Array.isArray(value) ? value.filter(isPlainObject) : [];
}

export function podStatusText(pod: KubeObject): string {
  if (pod.metadata.deletionTimestamp) return 'Terminating';
  let reason = str(getPath(pod, 'status.reason'), '') || str(getPath(pod, 'status.phase'), 'Pending');
  for (const cs of list(getPath(pod, 'status.containerStatuses'))) {
    const waiting = getPath(cs, 'state.waiting.reason');
    const terminated = getPath(cs, 'state.terminated');
    if (typeof waiting === 'string' && waiting) reason = waiting;
    else if (isPlainObject(terminated))
      reason = str(terminated['reason'], '') || `ExitCode:${String(terminated['exitCode'])}`;
  }
  const conditions = list(getPath(pod, 'status.conditions'));
  if (reason === 'Pending' && conditions.some((c) => c['type'] === 'PodScheduled' && c['status'] === 'False'))
    return 'Pending';
  return reason;
}

const COLUMNS: Record<string, Column[]> = {
  Pod: [
    nameColumn,
    {
      name: 'Ready',
      type: 'string',
      cell: (o) => {
        const statuses = list(getPath(o, 'status.containerStatuses'));
        const total = list(getPath(o, 'spec.containers')).length;
        return `${statuses.filter((s) => s['ready'] === true).length}/${total}`;
      },
    },
    { name: 'Status', type: 'string', cell: podStatusText },
    {
      name: 'Restarts',
      type: 'integer',
      cell: (o) => list(getPath(o, 'status.containerStatuses')).reduce((n, s) => n + Number(s['restartCount'] ?? 0), 0),
    },
    ageColumn,
  ],
  Job: [
    nameColumn,
    {
      name: 'Status',
      type: 'string',
      cell: (o) => {
        const conditions = list(getPath(o, 'status.conditions'));
        if (conditions.some((c) => c['type'] === 'Complete' && c['status'] === 'True')) return 'Complete';
        if (conditions.some((c) => c['type'] === 'Failed' && c['status'] === 'True')) return 'Failed';
        if (conditions.some((c) => c['type'] === 'FailureTarget' && c['status'] === 'True')) return 'FailureTarget';
        return 'Running';
      },
    },
    {
      name: 'Completions',
      type: 'string',
      cell: (o) => `${Number(getPath(o, 'status.succeeded') ?? 0)}/${Number(getPath(o, 'spec.completions') ?? 1)}`,
    },
    ageColumn,
  ],
  Deployment: [
    nameColumn,
    {
      name: 'Ready',
      type: 'string',
      cell: (o) => `${Number(getPath(o, 'status.readyReplicas') ?? 0)}/${Number(getPath(o, 'spec.replicas') ?? 1)}`,
    },
    { name: 'Up-to-date', type: 'integer', cell: (o) => Number(getPath(o, 'status.updatedReplicas') ?? 0) },
    { name: 'Available', type: 'integer', cell: (o) => Number(getPath(o, 'status.availableReplicas') ?? 0) },
    ageColumn,
  ],
  PersistentVolumeClaim: [
    nameColumn,
    {
      name: 'Status',
      type: 'string',
      cell: (o) => (o.metadata.deletionTimestamp ? 'Terminating' : str(getPath(o, 'status.phase'))),
    },
    { name: 'Volume', type: 'string', cell: (o) => str(getPath(o, 'spec.volumeName'), '') },
    { name: 'Capacity', type: 'string', cell: (o) => str(getPath(o, 'status.capacity.storage'), '') },
    { name: 'StorageClass', type: 'string', cell: (o) => str(getPath(o, 'spec.storageClassName')) },
    ageColumn,
  ],
  PersistentVolume: [
    nameColumn,
    { name: 'Capacity', type: 'string', cell: (o) => str(getPath(o, 'spec.capacity.storage'), '') },
    { name: 'Reclaim Policy', type: 'string', cell: (o) => str(getPath(o, 'spec.persistentVolumeReclaimPolicy'), '') },
    { name: 'Status', type: 'string', cell: (o) => str(getPath(o, 'status.phase')) },
    {
      name: 'Claim',
      type: 'string',
      cell: (o) =>
        getPath(o, 'spec.claimRef.name')
          ? `${str(getPath(o, 'spec.claimRef.namespace'))}/${str(getPath(o, 'spec.claimRef.name'))}`
          : '',
    },
    { name: 'StorageClass', type: 'string', cell: (o) => str(getPath(o, 'spec.storageClassName')) },
    ageColumn,
  ],
  Namespace: [nameColumn, { name: 'Status', type: 'string', cell: (o) => str(getPath(o, 'status.phase')) }, ageColumn],
  Service: [
    nameColumn,
    { name: 'Type', type: 'string', cell: (o) => str(getPath(o, 'spec.type')) },
    { name: 'Cluster-IP', type: 'string', cell: (o) => str(getPath(o, 'spec.clusterIP')) },
    {
      name: 'External-IP',
      type: 'string',
      cell: (o) => str(list(getPath(o, 'status.loadBalancer.ingress'))[0]?.['ip']),
    },
    {
      name: 'Port(s)',
      type: 'string',
      cell: (o) =>
        list(getPath(o, 'spec.ports'))
          .map((p) => `${String(p['port'])}/${String(p['protocol'] ?? 'TCP')}`)
          .join(','),
    },
    ageColumn,
  ],
  Event: [
    { name: 'Last Seen', type: 'string', cell: (o) => humanAge(str(o['lastTimestamp'] ?? o['eventTime'], '')) },
    { name: 'Type', type: 'string', cell: (o) => str(o['type']) },
    { name: 'Reason', type: 'string', cell: (o) => str(o['reason']) },
    {
      name: 'Object',
      type: 'string',
      cell: (o) =>
        `${String(getPath(o, 'involvedObject.kind') ?? '').toLowerCase()}/${str(getPath(o, 'involvedObject.name'))}`,
    },
    { name: 'Message', type: 'string', cell: (o) => str(o['message'], '') },
  ],
  StorageClass: [
    nameColumn,
    { name: 'Provisioner', type: 'string', cell: (o) => str(o['provisioner']) },
    { name: 'ReclaimPolicy', type: 'string', cell: (o) => str(o['reclaimPolicy']) },
    ageColumn,
  ],
};

function columnsFor(kind: string): Column[] {
  return COLUMNS[kind] ?? [nameColumn, ageColumn];
}

function rowObject(obj: KubeObject, includeObject: string): unknown {
  if (includeObject === 'None') return undefined;
  if (includeObject === 'Object') return obj;
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: obj.metadata };
}

export function toTable(
  kind: string,
  objects: KubeObject[],
  resourceVersion: string,
  includeObject: string,
  withColumns = true,
): Record<string, unknown> {
  const columns = columnsFor(kind);
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: { resourceVersion },
    ...(withColumns
      ? {
          columnDefinitions: columns.map((c) => ({
            name: c.name,
            type: c.type,
            format: c.format ?? '',
            description: '',
            priority: 0,
          })),
        }
      : {}),
    rows: objects.map((obj) => {
      const object = rowObject(obj, includeObject);
      return { cells: columns.map((c) => c.cell(obj)), ...(object === undefined ? {} : { object }) };
    }),
  };
}
