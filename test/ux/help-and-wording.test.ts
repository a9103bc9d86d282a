/**
 * `help help`, help that fits 80 columns, counted nouns in every message, and misspelt env-file keys flagged without
 * stopping the run — through deckhand's real entry point, off a terminal.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { COMMANDS } from '../../scripts/cli/commands/index.ts';
import { renderHelp } from '../../scripts/cli/help.ts';
import { REPO_ROOT, runCli } from '../support/cli.ts';
import { createDeployBed, VALID_INPUTS } from '../support/deploy-bed.ts';

describe('help', () => {
  it('help help says what help does, and a misspelt help is suggested', async () => {
    const result = await runCli(['help', 'help']);
    assert.equal(result.code, 0, result.output);
    assert.match(result.stdout, /^Usage: npx tsx tasks\.ts help \[command\]$/m);
    assert.match(result.stdout, /one of: setup, deploy, logs, releases, uninstall,/);
    const typo = await runCli(['hepl']);
    assert.equal(typo.code, 2);
    assert.match(typo.stderr, /Did you mean "help"\?/);
  });

  it('keeps its prose within 80 columns, with only examples and usage lines (never broken) beyond', () => {
    for (const topic of [undefined, 'help', ...COMMANDS.map((command) => command.name)]) {
      const long = renderHelp(topic, COMMANDS, 80)
        .split('\n')
        .filter((line) => line.length > 80)
        .filter((line) => !/^ {2}npx tsx tasks\.ts |^ +e\.g\. npx tsx tasks\.ts |^Usage: /.test(line));
      assert.deepEqual(long, [], `help ${topic ?? ''}`);
    }
    // The same text is not wrapped at all when there is room.
    assert.ok(
      renderHelp('deploy', COMMANDS, 120)
        .split('\n')
        .some((line) => line.length > 80),
    );
  });
});

/** Every .ts source under scripts/ (tests excluded), as [file, text]. */
function sources(dir = path.join(REPO_ROOT, 'scripts')): [string, string][] {
  return readdirSync(dir).flatMap((entry): [string, string][] => {
    const file = path.join(dir, entry);
    if (statSync(file).isDirectory()) return sources(file);
    return entry.endsWith('.ts') && !entry.endsWith('.test.ts') ? [[file, readFileSync(file, 'utf8')]] : [];
  });
}

// `${n} files`, `${list.length} releases`: wrong when the count is 1. Units (ms, s, B) do not count.
const FIXED_PLURAL =
  /\$\{[^{}]*(?:length|count|Count|size|total|files|bytes|attempts?|tail|removed|lines)[^{}]*\} (?!ms\b|s\b|B\b|of\b|in\b|to\b|for\b)[a-z]+s\b/;
// `file${n === 1 ? '' : 's'}`, `gap(s)` (http(s) is no plural).
const HAND_MADE = /=== 1 \? '' : 's'|\b(?!https?\()[a-z]+\(s\)/;

describe('counted nouns', () => {
  it('go through plural() everywhere: no hand-made plural, no count before a fixed plural noun', () => {
    const slips: string[] = [];
    for (const [file, text] of sources()) {
      for (const line of text.split('\n')) {
        // A count already known not to be one (`n === 1 ? 'this release' : `these ${n} releases``) is fine.
        if (/=== 1 \? '(?!')/.test(line)) continue;
        for (const pattern of [FIXED_PLURAL, HAND_MADE]) {
          for (const match of line.matchAll(new RegExp(pattern.source, 'g')))
            slips.push(`${path.relative(REPO_ROOT, file)}: ${match[0]}`);
        }
      }
    }
    assert.deepEqual(slips, []);
  });

  it('the check above finds a slip when there is one', () => {
    assert.match('`copied (${row.output.files} files)`', FIXED_PLURAL);
    assert.match("`Copied ${files} file${files === 1 ? '' : 's'}`", HAND_MADE);
    assert.match('`stopped after ${gaps.length} gap(s)`', HAND_MADE);
    assert.doesNotMatch("`copied ${plural(row.output.files, 'file')} in ${ms} ms`", FIXED_PLURAL);
    assert.doesNotMatch("'an http(s) URL'", HAND_MADE);
  });
});

describe('misspelt env-file keys', () => {
  it('are named with file, line and the key meant, and the run goes on', async () => {
    const bed = await createDeployBed();
    try {
      writeFileSync(path.join(bed.envDir, '.env'), '# registry\nIMAGE_OWENR=someone\n');
      writeFileSync(
        path.join(bed.envDir, '.env.caelundas'),
        Object.entries(VALID_INPUTS)
          .map(([key, value]) => `${key === 'LONGITUDE' ? 'LONGTITUDE' : key}=${value}`)
          .join('\n'),
      );
      const result = await runCli(['deploy', 'caelundas', '--dry-run'], {
        env: { ...bed.env, LONGITUDE: VALID_INPUTS.LONGITUDE },
      });
      assert.equal(result.code, 0, result.output);
      assert.match(
        result.stderr,
        new RegExp(`⚠ ${bed.envDir}/\\.env:2: IMAGE_OWENR is ignored: did you mean IMAGE_OWNER\\?`),
      );
      assert.match(
        result.stderr,
        new RegExp(`⚠ ${bed.envDir}/\\.env\\.caelundas:4: LONGTITUDE is ignored: did you mean LONGITUDE\\?`),
      );
      assert.match(result.output, /Dry run done: nothing was changed\./);
    } finally {
      await bed.close();
    }
  });
});
