import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { DeckhandError } from '../../lib/errors.ts';
import { helperPodManifest, helperPodName, verifyCopy } from './copy.ts';
import { tempDirs } from '../../../test/support/temp.ts';

const tempDir = tempDirs('copy');

function staging(files: Record<string, string>): string {
  const dir = tempDir();
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), content);
  }
  return dir;
}

describe('the copy helper pod', () => {
  it('meets Pod Security restricted, mounts the PVC read-only, and removes itself after a deadline', () => {
    const manifest = helperPodManifest({
      name: helperPodName('caelundas-20260125-143022'),
      namespace: 'caelundas',
      release: 'caelundas-20260125-143022',
      pvcName: 'caelundas-20260125-143022',
      image: 'busybox:1.37.0@sha256:abc',
    });
    const spec = manifest.spec as Record<string, any>;
    assert.equal((manifest.metadata as { name: string }).name, 'caelundas-20260125-143022-copy');
    assert.equal(spec.automountServiceAccountToken, false);
    assert.equal(spec.securityContext.runAsNonRoot, true);
    assert.ok(spec.securityContext.runAsUser > 0);
    assert.equal(spec.securityContext.seccompProfile.type, 'RuntimeDefault');
    assert.ok(spec.activeDeadlineSeconds > 0);
    const [container] = spec.containers;
    assert.deepEqual(container.securityContext, {
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    });
    assert.ok(container.resources.requests.cpu && container.resources.limits.memory);
    assert.equal(container.volumeMounts[0].readOnly, true);
    assert.deepEqual(spec.volumes[0].persistentVolumeClaim, { claimName: 'caelundas-20260125-143022', readOnly: true });
  });

  it('keeps its name within 63 characters for the longest release names', () => {
    assert.ok(helperPodName('a'.repeat(53)).length <= 63);
  });
});

describe('copy verification', () => {
  it('accepts a copy that matches the listing file for file and byte for byte', async () => {
    const dir = staging({ 'calendar.ics': 'abc', 'sub/b.txt': 'hello' });
    await verifyCopy(dir, [
      { path: 'calendar.ics', size: 3 },
      { path: 'sub/b.txt', size: 5 },
    ]);
  });

  it('refuses a copy with a missing file, a wrong size, an extra file or a link', async () => {
    const dir = staging({ 'calendar.ics': 'abcd', 'extra.txt': 'x' });
    symlinkSync('/etc/passwd', path.join(dir, 'link'));
    await assert.rejects(
      verifyCopy(dir, [
        { path: 'calendar.ics', size: 3 },
        { path: 'gone.txt', size: 1 },
      ]),
      (error: unknown) => {
        assert.ok(error instanceof DeckhandError);
        assert.match(error.message, /calendar\.ics: 4 bytes, expected 3/);
        assert.match(error.message, /gone\.txt: missing/);
        assert.match(error.message, /extra\.txt: not in the volume's listing/);
        assert.match(error.message, /link: not a regular file/);
        assert.match(error.fix!, /Nothing was deleted/);
        return true;
      },
    );
  });
});
