/**
 * Files on simulated volumes. They belong to the PersistentVolume, not the claim, so a Retained volume that is
 * Released after its PVC is deleted still "has" its files, and any pod that mounts the same claim (read-only or not)
 * sees what a Job wrote. Paths inside a volume are relative and use '/'.
 */
import path from 'node:path/posix';
import { getPath, isPlainObject } from './json.ts';
import type { Registry } from './registry.ts';
import { typeFor } from './resources.ts';
import type { KubeObject } from './types.ts';

export interface VolumeFile {
  data: Buffer;
  mtime: Date;
  mode: number;
  /** Set for a symbolic link: where it points (data is then empty). */
  linkTarget?: string;
}

export class VolumeStore {
  private readonly volumes = new Map<string, Map<string, VolumeFile>>();

  write(pvName: string, relativePath: string, data: Buffer, mode = 0o644): void {
    this.filesOf(pvName).set(normaliseRelative(relativePath), { data: Buffer.from(data), mtime: new Date(), mode });
  }

  link(pvName: string, relativePath: string, target: string): void {
    this.filesOf(pvName).set(normaliseRelative(relativePath), {
      data: Buffer.alloc(0),
      mtime: new Date(),
      mode: 0o777,
      linkTarget: target,
    });
  }

  private filesOf(pvName: string): Map<string, VolumeFile> {
    let files = this.volumes.get(pvName);
    if (!files) {
      files = new Map();
      this.volumes.set(pvName, files);
    }
    return files;
  }

  files(pvName: string): Map<string, VolumeFile> {
    return new Map(this.volumes.get(pvName) ?? []);
  }

  drop(pvName: string): void {
    this.volumes.delete(pvName);
  }
}

export function normaliseRelative(p: string): string {
  const normalised = path
    .normalize(p === '' ? '.' : p)
    .replace(/^\/+/, '')
    .replace(/\/+$/, '');
  return normalised === '.' ? '' : normalised;
}

export type ResolvedPath =
  | {
      kind: 'volume';
      pvName: string;
      mountPath: string;
      /** Path inside the volume ('' = its root). */ relative: string;
      readOnly: boolean;
    }
  | { kind: 'unbound-claim'; claimName: string }
  | { kind: 'outside-volumes' };

interface Mount {
  mountPath: string;
  volumeName: string;
  subPath: string;
  readOnly: boolean;
}

function mountsOf(pod: KubeObject, container: string | undefined): Mount[] {
  const containers = ((getPath(pod, 'spec.containers') as unknown[] | undefined) ?? []).filter(isPlainObject);
  const chosen = containers.find((c) => c['name'] === container) ?? containers[0];
  const mounts = chosen && Array.isArray(chosen['volumeMounts']) ? chosen['volumeMounts'].filter(isPlainObject) : [];
  return mounts.map((m) => ({
    mountPath: path.normalize(String(m['mountPath'] ?? '/')).replace(/\/+$/, '') || '/',
    volumeName: String(m['name'] ?? ''),
    subPath: String(m['subPath'] ?? ''),
    readOnly: m['readOnly'] === true,
  }));
}

/** Where an absolute path inside a pod's container lives, following its PVC mounts to their volumes. */
export function resolvePodPath(
  registry: Registry,
  pod: KubeObject,
  container: string | undefined,
  absolutePath: string,
): ResolvedPath {
  const target = path.normalize(absolutePath);
  const mounts = mountsOf(pod, container).sort((a, b) => b.mountPath.length - a.mountPath.length);
  const volumes = ((getPath(pod, 'spec.volumes') as unknown[] | undefined) ?? []).filter(isPlainObject);
  for (const mount of mounts) {
    const inside =
      target === mount.mountPath || target.startsWith(mount.mountPath === '/' ? '/' : `${mount.mountPath}/`);
    if (!inside) continue;
    const volume = volumes.find((v) => v['name'] === mount.volumeName);
    const claimName = volume ? getPath(volume, 'persistentVolumeClaim.claimName') : undefined;
    if (typeof claimName !== 'string') continue;
    const pvc = registry.find(typeFor('v1', 'PersistentVolumeClaim'), pod.metadata.namespace, claimName);
    const pvName = pvc ? getPath(pvc, 'spec.volumeName') : undefined;
    if (typeof pvName !== 'string' || !pvName) return { kind: 'unbound-claim', claimName };
    const rest = normaliseRelative(target.slice(mount.mountPath.length));
    return {
      kind: 'volume',
      pvName,
      mountPath: mount.mountPath,
      relative: normaliseRelative(path.join(mount.subPath, rest)),
      readOnly: mount.readOnly,
    };
  }
  return { kind: 'outside-volumes' };
}

/** The PVC mount paths of a pod's first container, in spec order. */
export function claimMountPaths(pod: KubeObject): string[] {
  const volumes = ((getPath(pod, 'spec.volumes') as unknown[] | undefined) ?? []).filter(isPlainObject);
  return mountsOf(pod, undefined)
    .filter((m) => volumes.some((v) => v['name'] === m.volumeName && isPlainObject(v['persistentVolumeClaim'])))
    .map((m) => m.mountPath);
}
