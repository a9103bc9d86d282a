/**
 * Which Node.js runs deckhand: the range in package.json's `engines.node` (the strictest runtime dependency's:
 * @inquirer/prompts 8 needs ^22.22.2 || ^24.15.0 || >=26.0.0). On an older Node the libraries fail in scattered ways
 * (`bad option: --test-global-setup`, a prompt that crashes at the first question); deckhand says it in one line first.
 *
 * Plain JavaScript on purpose: it must run on any Node — before tsx, TypeScript or a single dependency is loaded — for
 * `npm test`, the `deckhand` bin and tasks.ts alike. Types: node-version.d.ts.
 */
import { readFileSync } from 'node:fs';

const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));

/** The supported range, e.g. `^22.22.2 || ^24.15.0 || >=26.0.0`. */
export const NODE_RANGE = manifest.engines.node;

/** True when `version` (e.g. `24.22.3`) is in `range` (comparators `^`, `>=`, `>`, `<=`, `<`, `=`, `||`, spaces). */
export function satisfies(version, range) {
  const actual = parse(version);
  // `>= 12` (as some packages write it) is one comparator.
  const normalized = range.replace(/(\^|>=|<=|>|<|=)\s+/g, '$1');
  return normalized.split('||').some((set) =>
    set
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .every((comparator) => {
        // `*` and `x` (any version), as some packages write it.
        if (/^[*xX]$/.test(comparator)) return true;
        const [, operator = '=', wanted] = /^(\^|>=|<=|>|<|=)?v?(.+)$/.exec(comparator) ?? [];
        const bound = parse(wanted ?? '');
        const order = compare(actual, bound);
        if (operator === '^') return order >= 0 && actual[0] === bound[0];
        if (operator === '>=') return order >= 0;
        if (operator === '>') return order > 0;
        if (operator === '<=') return order <= 0;
        if (operator === '<') return order < 0;
        return order === 0;
      }),
  );
}

/** The one line to print when this Node cannot run deckhand, or undefined when it can. */
export function nodeVersionProblem(version = process.versions.node, range = NODE_RANGE, execPath = process.execPath) {
  if (satisfies(version, range)) return undefined;
  return (
    `deckhand needs Node.js ${range}, but this is Node ${version} (${execPath}). ` +
    'Install Node 24 LTS (`nvm install 24`: the project has an .nvmrc; or https://nodejs.org), then run again.'
  );
}

/** Exits 1 with that line when this Node cannot run deckhand. */
export function exitUnlessSupportedNode() {
  const problem = nodeVersionProblem();
  if (!problem) return;
  process.stderr.write(`${problem}\n`);
  process.exit(1);
}

function parse(version) {
  const parts = version.split('.').map((part) => Number.parseInt(part, 10));
  return [0, 1, 2].map((index) => (Number.isFinite(parts[index]) ? parts[index] : 0));
}

function compare(a, b) {
  for (let index = 0; index < 3; index++) if (a[index] !== b[index]) return a[index] - b[index];
  return 0;
}
