/**
 * Reads a tar stream (from `kubectl exec POD -- tar cf - DIR`) into a manifest of the files it holds — names and
 * sizes — without writing anything. It is the independent record that a `kubectl cp` copy is checked against, and
 * the place where entries that could land outside the destination (absolute paths, `..`, links) are refused.
 */
import path from 'node:path';
import { Readable } from 'node:stream';
import { extract } from 'tar-stream';

export interface ManifestEntry {
  /** Path relative to the copied folder, with forward slashes. */
  path: string;
  size: number;
}

export interface TarManifest {
  files: ManifestEntry[];
  totalBytes: number;
  /** Entries refused because they could escape the destination, with the reason. */
  refused: string[];
}

/**
 * @param remoteRoot the folder given to tar (e.g. /app/output); tar names entries without the leading slash
 *   (`app/output/calendar.ics`), and this prefix is stripped.
 */
export async function readTarManifest(
  tar: Uint8Array | AsyncIterable<Uint8Array>,
  remoteRoot: string,
): Promise<TarManifest> {
  const prefix = remoteRoot.replace(/^\/+/, '').replace(/\/+$/, '');
  const files: ManifestEntry[] = [];
  const refused: string[] = [];
  const extractor = extract();
  const source = tar instanceof Uint8Array ? Readable.from([Buffer.from(tar)]) : Readable.from(tar);
  source.pipe(extractor);
  for await (const entry of extractor) {
    const { name, type, size, linkname } = entry.header;
    entry.resume(); // the content is not needed, only its size
    const relative = relativeEntryPath(name, prefix);
    if (relative === undefined) {
      refused.push(`${name}: outside ${remoteRoot}`);
      continue;
    }
    const problem = entryProblem(relative, type, linkname);
    if (problem) {
      refused.push(`${name}: ${problem}`);
      continue;
    }
    if (type === 'file' || type === 'contiguous-file') files.push({ path: relative, size: size ?? 0 });
  }
  files.sort((a, b) => a.path.localeCompare(b.path));
  return { files, totalBytes: files.reduce((sum, file) => sum + file.size, 0), refused };
}

function relativeEntryPath(name: string, prefix: string): string | undefined {
  const clean = name.replace(/^\.\//, '').replace(/\/+$/, '');
  if (clean === prefix || clean === '') return '';
  if (prefix === '') return clean;
  return clean.startsWith(`${prefix}/`) ? clean.slice(prefix.length + 1) : undefined;
}

/** Why an entry must not be extracted, or undefined when it is safe. */
export function entryProblem(
  relative: string,
  type: string | null | undefined,
  linkname?: string | null,
): string | undefined {
  if (relative === '') return undefined;
  if (path.posix.isAbsolute(relative)) return 'absolute path';
  if (relative.split('/').includes('..')) return 'path climbs out with ..';
  if (type === 'symlink' || type === 'link') {
    const target = linkname ?? '';
    const resolved = path.posix.normalize(path.posix.join(path.posix.dirname(relative), target));
    if (path.posix.isAbsolute(target) || resolved.startsWith('..'))
      return `link to ${target} points outside the folder`;
  }
  if (type !== 'file' && type !== 'contiguous-file' && type !== 'directory' && type !== 'symlink' && type !== 'link')
    return `unsupported entry type ${type}`;
  return undefined;
}
