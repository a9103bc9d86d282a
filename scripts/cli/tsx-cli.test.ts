import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nodeOptionsBesideTsx, startedByTsxCli } from './tsx-cli.ts';

// What tsx's CLI passes to the Node process it starts (tsx 4), and what `node --import tsx` has.
const UNDER_TSX_CLI = [
  '--require',
  '/repo/node_modules/tsx/dist/preflight.cjs',
  '--import',
  'file:///repo/node_modules/tsx/dist/loader.mjs',
];

describe('running beside the tsx CLI', () => {
  it('knows the process the tsx CLI started by its preflight script', () => {
    assert.equal(startedByTsxCli(UNDER_TSX_CLI), true);
    assert.equal(startedByTsxCli(['--import', 'tsx']), false);
    assert.equal(startedByTsxCli([]), false);
  });

  it("starts deckhand's own process with tsx's loader but without the preflight that reports to the tsx CLI", () => {
    assert.deepEqual(nodeOptionsBesideTsx(UNDER_TSX_CLI), [
      '--import',
      'file:///repo/node_modules/tsx/dist/loader.mjs',
    ]);
    assert.deepEqual(nodeOptionsBesideTsx(['--inspect', ...UNDER_TSX_CLI]), [
      '--inspect',
      '--import',
      'file:///repo/node_modules/tsx/dist/loader.mjs',
    ]);
    assert.equal(startedByTsxCli(nodeOptionsBesideTsx(UNDER_TSX_CLI)), false, 'so it does not relay once more');
  });
});
