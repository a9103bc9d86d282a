/**
 * Static checks on the chart's source files: naming conventions, no hard-coded namespace, a closed schema, and
 * documented values. These need no helm.
 */
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { parse } from 'yaml';
import { CHART_DIR } from './helm.ts';

const TEMPLATES_DIR = path.join(CHART_DIR, 'templates');

interface SchemaNode {
  type?: string | string[];
  properties?: Record<string, SchemaNode>;
  additionalProperties?: boolean | SchemaNode;
  [keyword: string]: unknown;
}

async function readTemplates(): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  for (const name of await readdir(TEMPLATES_DIR)) {
    files.set(name, await readFile(path.join(TEMPLATES_DIR, name), 'utf8'));
  }
  return files;
}

/** Every schema node reachable from the root, with its JSON-pointer-ish location. */
function walkSchema(node: unknown, at: string, visit: (node: SchemaNode, at: string) => void): void {
  if (Array.isArray(node)) {
    node.forEach((item, index) => walkSchema(item, `${at}/${index}`, visit));
    return;
  }
  if (!node || typeof node !== 'object') return;
  visit(node as SchemaNode, at);
  for (const [key, child] of Object.entries(node)) {
    // enum/const hold data, and if/not hold predicates that test a value rather than define an object.
    if (key === 'enum' || key === 'const' || key === 'if' || key === 'not') continue;
    walkSchema(child, `${at}/${key}`, visit);
  }
}

describe('chart sources', () => {
  let templates = new Map<string, string>();
  let schema: SchemaNode = {};
  let valuesText = '';

  before(async () => {
    templates = await readTemplates();
    schema = JSON.parse(await readFile(path.join(CHART_DIR, 'values.schema.json'), 'utf8')) as SchemaNode;
    valuesText = await readFile(path.join(CHART_DIR, 'values.yaml'), 'utf8');
  });

  it('has one template per resource plus helpers and notes', () => {
    assert.deepEqual([...templates.keys()].sort(), [
      'NOTES.txt',
      '_helpers.tpl',
      'job.yaml',
      'pvc.yaml',
      'serviceaccount.yaml',
    ]);
  });

  it('prefixes every define with "kubernetes-job."', () => {
    const defines = [...templates.values()].flatMap((text) =>
      [...text.matchAll(/define\s+"([^"]+)"/g)].map((match) => match[1]),
    );
    assert.ok(defines.length >= 8, `found defines: ${defines}`);
    for (const name of defines) assert.match(name ?? '', /^kubernetes-job\.[a-zA-Z]+$/);
  });

  it('hard-codes no namespace in any template', () => {
    for (const [name, text] of templates) {
      assert.doesNotMatch(text, /^\s*namespace\s*:/m, `${name} sets a namespace`);
    }
  });

  it('closes every object in values.schema.json with additionalProperties', () => {
    let objectNodes = 0;
    walkSchema(schema, '#', (node, at) => {
      const isObject = node.type === 'object' || node.properties !== undefined;
      if (!isObject) return;
      objectNodes += 1;
      if (node.properties !== undefined) {
        assert.equal(node.additionalProperties, false, `${at} lists its properties, so it must forbid others`);
      } else {
        assert.equal(typeof node.additionalProperties, 'object', `${at} is a map, so it must constrain its values`);
      }
    });
    assert.ok(objectNodes > 20, `walked ${objectNodes} object schemas`);
  });

  it('declares in the schema exactly the top-level keys that values.yaml documents', () => {
    const documented = new Set(Object.keys(parse(valuesText) as Record<string, unknown>));
    assert.deepEqual([...documented].sort(), Object.keys(schema.properties ?? {}).sort());
  });

  it("documents every schema property of the chart's own settings in values.yaml, required ones as comments", () => {
    const keysInValues = new Set(
      [...valuesText.matchAll(/^\s*(?:#\s*)?([A-Za-z][A-Za-z0-9-]*):/gm)].map((match) => match[1]),
    );
    for (const [section, node] of Object.entries(schema.properties ?? {})) {
      for (const key of Object.keys(node.properties ?? {})) {
        assert.ok(keysInValues.has(key), `${section}.${key} is not in values.yaml`);
      }
    }
  });

  it('puts a comment directly above every key in values.yaml', () => {
    const lines = valuesText.split('\n');
    lines.forEach((line, index) => {
      if (!/^\s*[A-Za-z][A-Za-z0-9_-]*:/.test(line)) return;
      const previous = lines[index - 1] ?? '';
      assert.match(previous, /^\s*#/, `line ${index + 1} "${line.trim()}" has no comment above it`);
    });
  });

  it('warns in values.yaml about the LKE default class, Retain and the 10 GiB billing minimum', () => {
    assert.match(valuesText, /linode-block-storage-retain/);
    assert.match(valuesText, /Retain/);
    assert.match(valuesText, /at least 10 GiB/);
    assert.match(valuesText, /Do not use "standard"/);
  });
});
