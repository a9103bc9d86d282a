import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { noun, plural, wrapIndented } from './wording.ts';

describe('counted nouns', () => {
  it('says one in the singular and every other count in the plural, zero included', () => {
    assert.equal(plural(1, 'file'), '1 file');
    assert.equal(plural(0, 'file'), '0 files');
    assert.equal(plural(2, 'line'), '2 lines');
    assert.equal(plural(1_000_000, 'line'), '1,000,000 lines');
  });

  it('takes irregular plurals, and gives the word alone for verbs and phrases', () => {
    assert.equal(plural(1, 'try', 'tries'), '1 try');
    assert.equal(plural(3, 'try', 'tries'), '3 tries');
    assert.equal(`${plural(1, 'secret')} ${noun(1, 'has', 'have')}`, '1 secret has');
    assert.equal(`${plural(2, 'secret')} ${noun(2, 'has', 'have')}`, '2 secrets have');
  });
});

describe('wrapped prose', () => {
  it('indents the lines after the first, keeping every line within the width and long words whole', () => {
    const banner =
      'Target: context "lke1" · API server https://0123456789abcdef.us-ord-1.linodelke.net:443 · namespace "x"';
    const lines = wrapIndented(banner, 40);
    assert.deepEqual(lines, [
      'Target: context "lke1" · API server',
      '  https://0123456789abcdef.us-ord-1.linodelke.net:443',
      '  · namespace "x"',
    ]);
    assert.equal(lines.join(' ').replace(/\s+/g, ' '), banner);
    assert.deepEqual(wrapIndented('short', 40), ['short']);
  });
});
