/**
 * The layout's rules, checked on the source itself: the import graph has no circle; shared code in scripts/lib and the
 * tool modules never reaches up into the app registry, the CLI or the steps; the simulator (kube-sim/) and deckhand
 * never import each other; tasks.ts stays a runbook; and no source file grows past ~400 lines unless it says why.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';

const ROOT = path.resolve(import.meta.dirname, '..');
const SOURCE_DIRS = ['scripts', 'kube-sim'];
const MAX_LINES = 420;
const TASKS_MAX_LINES = 250;

function sourceFiles(): string[] {
  const files = ['tasks.ts'];
  const walk = (dir: string) => {
    for (const entry of readdirSync(path.join(ROOT, dir))) {
      const relative = path.join(dir, entry);
      if (statSync(path.join(ROOT, relative)).isDirectory()) walk(relative);
      else if (entry.endsWith('.ts') && !entry.endsWith('.test.ts')) files.push(relative);
    }
  };
  for (const dir of SOURCE_DIRS) walk(dir);
  return files.sort();
}

/** Relative imports of a file, static and dynamic, resolved to project paths. */
function importsOf(file: string): string[] {
  const text = readFileSync(path.join(ROOT, file), 'utf8');
  const specifiers = [
    ...text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+'(\.[^']+)'|import\(\s*'(\.[^']+)'\s*\)/g),
  ];
  return specifiers.map((match) => path.normalize(path.join(path.dirname(file), (match[1] ?? match[2])!)));
}

/** Every circle in a graph, as "a → b → a" (depth-first; each found once). */
function findCycles(graph: ReadonlyMap<string, readonly string[]>): string[] {
  const state = new Map<string, 'visiting' | 'done'>();
  const cycles: string[] = [];
  const visit = (node: string, trail: string[]) => {
    if (state.get(node) === 'done') return;
    if (state.get(node) === 'visiting') {
      cycles.push([...trail.slice(trail.indexOf(node)), node].join(' → '));
      return;
    }
    state.set(node, 'visiting');
    for (const next of graph.get(node) ?? []) if (graph.has(next)) visit(next, [...trail, node]);
    state.set(node, 'done');
  };
  for (const node of graph.keys()) visit(node, []);
  return cycles;
}

const FILES = sourceFiles();
const GRAPH = new Map(FILES.map((file) => [file, importsOf(file)]));

/** scripts/lib/x.ts → 'lib'; scripts/helm.ts → 'tool'; tasks.ts → 'runbook'. */
function layer(file: string): string {
  if (file === 'tasks.ts') return 'runbook';
  const parts = file.split(path.sep);
  if (parts[0] === 'kube-sim') return 'simulator';
  if (parts.length === 2) return 'tool';
  return parts[1]!;
}

describe('the source layout', () => {
  it('has no import circle', () => {
    assert.deepEqual(findCycles(GRAPH), []);
  });

  it('would see a circle, however long (the check can fail)', () => {
    const graph = new Map([
      ['a', ['b']],
      ['b', ['c']],
      ['c', ['a', 'd']],
      ['d', []],
    ]);
    assert.deepEqual(findCycles(graph), ['a → b → c → a']);
  });

  it('keeps shared code below what uses it: lib imports only lib; tool modules and apps only lib (and tools)', () => {
    const allowed: Record<string, readonly string[]> = {
      lib: ['lib'],
      tool: ['lib', 'tool'],
      apps: ['lib', 'apps'],
      cli: ['lib', 'cli', 'apps'],
    };
    const wrong: string[] = [];
    for (const [file, imports] of GRAPH) {
      const rule = allowed[layer(file)];
      if (!rule) continue;
      for (const target of imports) if (!rule.includes(layer(target))) wrong.push(`${file} → ${target}`);
    }
    assert.deepEqual(wrong, []);
  });

  it('keeps the simulator apart: deckhand never imports it, and it never imports deckhand', () => {
    const crossing = [...GRAPH].flatMap(([file, imports]) =>
      imports
        .filter((target) => (layer(file) === 'simulator') !== (layer(target) === 'simulator'))
        .map((target) => `${file} → ${target}`),
    );
    assert.deepEqual(crossing, []);
    assert.ok(
      FILES.some((file) => layer(file) === 'simulator'),
      'the simulator is among the files checked',
    );
  });

  it('never imports tasks.ts (the runbooks are the top)', () => {
    const importers = FILES.filter((file) => GRAPH.get(file)!.includes('tasks.ts'));
    assert.deepEqual(importers, []);
  });

  it('keeps tasks.ts a runbook and files small, unless a file says why it is long', () => {
    const tasks = readFileSync(path.join(ROOT, 'tasks.ts'), 'utf8').split('\n').length;
    assert.ok(tasks <= TASKS_MAX_LINES, `tasks.ts has ${tasks} lines (at most ${TASKS_MAX_LINES})`);
    const long = FILES.filter((file) => {
      const text = readFileSync(path.join(ROOT, file), 'utf8');
      return text.split('\n').length > MAX_LINES && !/Long on purpose:/.test(text);
    });
    assert.deepEqual(long, [], `over ${MAX_LINES} lines without a "Long on purpose:" note`);
  });

  it('finds the imports it checks (the checks above are not vacuous)', () => {
    assert.ok(FILES.length > 40, `${FILES.length} source files`);
    assert.ok(GRAPH.get('tasks.ts')!.includes(path.normalize('scripts/cli/main.ts')));
    assert.ok(GRAPH.get(path.normalize('scripts/steps/job/deploy.ts'))!.includes(path.normalize('scripts/helm.ts')));
  });
});
