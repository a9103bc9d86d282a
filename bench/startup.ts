/**
 * Start-up benchmark: the median wall time of `tsx tasks.ts --help` beside `tsx` on an empty file.
 * Goal (issue #2): at most 1.3x — `--help` must not load prompts, YAML, zx or renderers.
 *
 *   npm run bench:startup [-- --runs 21]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '21' } } });
const runs = Number(values.runs);
const root = path.resolve(import.meta.dirname, '..');
const tsx = path.join(root, 'node_modules', '.bin', 'tsx');
const scratch = mkdtempSync(path.join(os.tmpdir(), 'deckhand-bench-'));
const empty = path.join(scratch, 'empty.ts');
writeFileSync(empty, 'export {};\n');

function medianMs(args: string[]): number {
  for (let i = 0; i < 3; i++) execFileSync(tsx, args, { cwd: root, stdio: 'ignore' }); // warm tsx's transform cache
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    execFileSync(tsx, args, { cwd: root, stdio: 'ignore' });
    samples.push(performance.now() - started);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)]!;
}

try {
  // Interleave nothing: each series runs back to back so both see the same machine state.
  const baseline = medianMs([empty]);
  const help = medianMs(['tasks.ts', '--help']);
  const ratio = help / baseline;
  console.log(`runs per series:            ${runs}`);
  console.log(`tsx empty.ts (median):      ${baseline.toFixed(0)} ms`);
  console.log(`tsx tasks.ts --help:        ${help.toFixed(0)} ms`);
  console.log(`ratio:                      ${ratio.toFixed(2)}x  (goal: <= 1.30x) ${ratio <= 1.3 ? 'met' : 'NOT met'}`);
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
