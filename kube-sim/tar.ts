/**
 * Tar archives of volume files, named the way `tar cf - /data` names them (`data/`, `data/out/x.bin`), built with
 * tar-stream so `kubectl cp` unpacks a real archive.
 */
import path from 'node:path/posix';
import { pack } from 'tar-stream';
import type { VolumeFile } from './volumes.ts';

export interface TarEntry {
  name: string;
  type: 'file' | 'directory' | 'symlink';
  data?: Buffer;
  linkname?: string;
  mode: number;
  mtime: Date;
}

/** The member name tar gives a path argument: normalised, without leading or trailing slashes. */
export function memberName(argument: string): string {
  return path.normalize(argument).replace(/^\/+/, '').replace(/\/+$/, '');
}

/**
 * Entries for one path argument resolved to `relative` inside a volume's files, or undefined when nothing is
 * there. `relative` '' is the volume root (the mount point itself).
 */
export function entriesFor(argument: string, relative: string, files: Map<string, VolumeFile>): TarEntry[] | undefined {
  const base = memberName(argument);
  const exact = files.get(relative);
  if (exact) return [entryOf(base, exact)];
  const prefix = relative === '' ? '' : `${relative}/`;
  const below = [...files.entries()]
    .filter(([p]) => p.startsWith(prefix))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  if (below.length === 0 && relative !== '') return undefined;
  const newest = below.reduce((t, [, f]) => (f.mtime > t ? f.mtime : t), new Date(0));
  const entries: TarEntry[] = [];
  const dirs = new Set<string>();
  const addDir = (name: string): void => {
    if (dirs.has(name)) return;
    dirs.add(name);
    entries.push({ name: `${name}/`, type: 'directory', mode: 0o755, mtime: newest });
  };
  addDir(base);
  for (const [p, file] of below) {
    const rest = p.slice(prefix.length);
    const parts = rest.split('/');
    for (let i = 1; i < parts.length; i += 1) addDir(path.join(base, ...parts.slice(0, i)));
    entries.push(entryOf(path.join(base, rest), file));
  }
  return entries;
}

function entryOf(name: string, file: VolumeFile): TarEntry {
  return file.linkTarget === undefined
    ? { name, type: 'file', data: file.data, mode: file.mode, mtime: file.mtime }
    : { name, type: 'symlink', linkname: file.linkTarget, mode: file.mode, mtime: file.mtime };
}

export async function buildTar(entries: TarEntry[]): Promise<Buffer> {
  const archive = pack();
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    archive.on('data', (chunk: unknown) => chunks.push(chunk as Buffer));
    archive.on('end', () => resolve(Buffer.concat(chunks)));
    archive.on('error', reject);
  });
  for (const entry of entries) {
    const header = {
      name: entry.name,
      mode: entry.mode,
      mtime: entry.mtime,
      uid: 0,
      gid: 0,
      uname: 'root',
      gname: 'root',
    };
    if (entry.type === 'directory') archive.entry({ ...header, type: 'directory' });
    else if (entry.type === 'symlink') archive.entry({ ...header, type: 'symlink', linkname: entry.linkname ?? '' });
    else archive.entry({ ...header, type: 'file', size: entry.data?.length ?? 0 }, entry.data ?? Buffer.alloc(0));
  }
  archive.finalize();
  return done;
}
