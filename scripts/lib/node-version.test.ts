import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { NODE_RANGE, nodeVersionProblem, satisfies } from './node-version.js';

const ROOT = path.resolve(import.meta.dirname, '../..');

/** The lowest version of each alternative of a range: `^22.22.2 || >=26.0.0` → 22.22.2, 26.0.0. */
function lowerBounds(range: string): string[] {
  return range.split('||').map((part) => /(\d+\.\d+\.\d+)/.exec(part)![1]!);
}

describe('the Node version deckhand needs', () => {
  it('reads ranges as npm writes them', () => {
    const inquirer = '^22.22.2 || ^24.15.0 || >=26.0.0';
    for (const ok of ['22.22.2', '22.30.0', '24.15.0', '24.22.3', '26.0.0', '27.1.0'])
      assert.ok(satisfies(ok, inquirer), ok);
    for (const old of ['20.20.2', '22.13.0', '22.22.1', '23.11.0', '24.14.9', '25.0.0'])
      assert.ok(!satisfies(old, inquirer), old);
    assert.ok(satisfies('12.0.0', '>= 12') && !satisfies('11.9.9', '>= 12'));
    assert.ok(satisfies('18.19.0', '>=18 <20') && !satisfies('20.0.0', '>=18 <20'));
    assert.ok(satisfies('24.22.3', '*') && satisfies('20.0.0', 'x'));
  });

  it("is exactly the strictest runtime dependency's range, and satisfies every runtime dependency", () => {
    const manifest = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string } };
    assert.equal(NODE_RANGE, manifest.engines.node);
    const prompts = JSON.parse(
      readFileSync(path.join(ROOT, 'node_modules/@inquirer/prompts/package.json'), 'utf8'),
    ) as { engines: { node: string } };
    assert.equal(NODE_RANGE, prompts.engines.node);
    const lock = JSON.parse(readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { dev?: boolean; optional?: boolean; engines?: { node?: string } }>;
    };
    const runtime = Object.entries(lock.packages).filter(
      ([name, entry]) => name !== '' && !entry.dev && !entry.optional && entry.engines?.node,
    );
    assert.ok(runtime.length > 20, `${runtime.length} runtime packages declare a Node range`);
    for (const [name, entry] of runtime)
      for (const lowest of lowerBounds(NODE_RANGE))
        assert.ok(
          satisfies(lowest, entry.engines!.node!),
          `${name} needs ${entry.engines!.node}; Node ${lowest} is allowed`,
        );
  });

  it('says in one line which Node is needed, which one this is, and how to get the right one', () => {
    const line = nodeVersionProblem('20.20.2', NODE_RANGE, '/usr/bin/node')!;
    assert.equal(line.includes('\n'), false);
    assert.match(
      line,
      /^deckhand needs Node\.js \^22\.22\.2 \|\| \^24\.15\.0 \|\| >=26\.0\.0, but this is Node 20\.20\.2 \(\/usr\/bin\/node\)\./,
    );
    assert.match(line, /nvm install 24/);
    assert.equal(nodeVersionProblem('24.22.3', NODE_RANGE), undefined);
  });
});
