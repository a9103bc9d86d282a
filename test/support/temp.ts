/** Temporary folders for one test file, all removed when its tests end. */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after } from 'node:test';

/** Returns a function that makes a fresh folder named deckhand-<prefix>-XXXXXX under the system temp folder. */
export function tempDirs(prefix: string): () => string {
  const dirs: string[] = [];
  after(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });
  return () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), `deckhand-${prefix}-`));
    dirs.push(dir);
    return dir;
  };
}
