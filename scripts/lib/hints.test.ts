import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { commandLines, deckhand } from './hints.ts';

const RELEASE = 'caelundas-20260125-143022';

/** What a shell runs when the lines are pasted: continuations joined. */
function pasted(lines: readonly string[]): string {
  return lines
    .map((line) => line.trim())
    .join('\n')
    .replace(/ \\\n/g, ' ');
}

describe('commands on lines that fit', () => {
  it('keeps a command that fits on one line', () => {
    assert.deepEqual(commandLines(80, '  ', 'logs', 'caelundas', '--release', RELEASE), [
      `  npx tsx tasks.ts logs caelundas --release ${RELEASE}`,
    ]);
  });

  it('breaks a longer one before an option, with a continuation a shell joins back into the same command', () => {
    const lines = commandLines(80, '  ', 'uninstall', 'caelundas', '--release', RELEASE, '--delete-volume');
    assert.deepEqual(lines, [`  npx tsx tasks.ts uninstall caelundas --release ${RELEASE} \\`, '    --delete-volume']);
    for (const line of lines) assert.ok(line.length <= 80, line);
    assert.equal(pasted(lines), deckhand('uninstall', 'caelundas', '--release', RELEASE, '--delete-volume'));
  });

  it('never separates an option from its value, and leaves a single word wider than the line whole', () => {
    const lines = commandLines(40, '', 'copy', 'caelundas', '--release', RELEASE, '--force');
    assert.deepEqual(lines, ['npx tsx tasks.ts copy caelundas \\', `  --release ${RELEASE} \\`, '  --force']);
    const narrow = commandLines(10, '', 'copy', 'caelundas');
    assert.deepEqual(narrow, ['npx tsx tasks.ts copy caelundas']);
  });
});
