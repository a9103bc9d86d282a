import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pack } from 'tar-stream';
import { entryProblem, readTarManifest } from './tar-manifest.ts';

async function tarOf(
  entries: { name: string; content?: string; type?: 'file' | 'directory' | 'symlink'; linkname?: string }[],
): Promise<Buffer> {
  const archive = pack();
  const chunks: Buffer[] = [];
  archive.on('data', (chunk) => {
    chunks.push(chunk as Buffer);
  });
  const done = new Promise<void>((resolve) => archive.on('end', () => resolve()));
  for (const entry of entries)
    archive.entry({ name: entry.name, type: entry.type ?? 'file', linkname: entry.linkname }, entry.content ?? '');
  archive.finalize();
  await done;
  return Buffer.concat(chunks);
}

describe('the tar manifest', () => {
  it('lists the files under the copied folder with their sizes', async () => {
    const tar = await tarOf([
      { name: 'data/', type: 'directory' },
      { name: 'data/calendar.ics', content: 'BEGIN:VCALENDAR' },
      { name: 'data/sub/', type: 'directory' },
      { name: 'data/sub/notes.txt', content: 'hi' },
    ]);
    const manifest = await readTarManifest(tar, '/data');
    assert.deepEqual(manifest.files, [
      { path: 'calendar.ics', size: 15 },
      { path: 'sub/notes.txt', size: 2 },
    ]);
    assert.equal(manifest.totalBytes, 17);
    assert.deepEqual(manifest.refused, []);
  });

  it('refuses entries that would land outside the destination', async () => {
    const tar = await tarOf([
      { name: 'data/ok.txt', content: 'ok' },
      { name: 'data/../../etc/passwd', content: 'x' },
      { name: 'elsewhere/file', content: 'x' },
      { name: 'data/escape', type: 'symlink', linkname: '../../../home' },
      { name: 'data/abs', type: 'symlink', linkname: '/etc/shadow' },
      { name: 'data/inside', type: 'symlink', linkname: 'ok.txt' },
    ]);
    const manifest = await readTarManifest(tar, '/data');
    assert.deepEqual(manifest.files, [{ path: 'ok.txt', size: 2 }]);
    assert.equal(manifest.refused.length, 4);
    assert.match(manifest.refused.join('\n'), /etc\/passwd: path climbs out/);
    assert.match(manifest.refused.join('\n'), /elsewhere\/file: outside \/data/);
    assert.match(manifest.refused.join('\n'), /abs: link to \/etc\/shadow points outside/);
  });

  it('judges single entries', () => {
    assert.equal(entryProblem('a/b.txt', 'file'), undefined);
    assert.match(entryProblem('a/../../b', 'file')!, /climbs out/);
    assert.match(entryProblem('dev', 'character-device')!, /unsupported/);
  });
});
