import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createJsonStreamSplitter } from './json-stream.ts';

describe('the JSON stream splitter', () => {
  it('emits each pretty-printed document of a watch, however the chunks fall', () => {
    const documents = [
      { type: 'ADDED', object: { metadata: { name: 'a' }, note: 'braces } { and "quotes" inside strings' } },
      { type: 'MODIFIED', object: { metadata: { name: 'a' }, escaped: 'back\\slash\\"' } },
    ];
    const text = documents.map((document) => JSON.stringify(document, null, 4)).join('\n');
    for (const size of [1, 7, 64, text.length]) {
      const seen: unknown[] = [];
      const splitter = createJsonStreamSplitter((document) => seen.push(document));
      for (let i = 0; i < text.length; i += size) splitter.write(text.slice(i, i + size));
      assert.deepEqual(seen, documents, `chunk size ${size}`);
    }
  });
});
