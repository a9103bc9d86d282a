/**
 * What stays on a real terminal after `deploy`: the run is driven through a pseudo-terminal against the simulated
 * cluster, and the screen and scrollback are read back as a terminal emulator draws them (redrawn frames are gone
 * there, unlike in the raw bytes). At 80 columns and 24 rows the run is taller than the screen, so the plan must be
 * found in the scrollback; at 200 columns nothing needs wrapping.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { REPO_ROOT } from '../support/cli.ts';
import { createDeployBed, VALID_INPUTS, type DeployBed } from '../support/deploy-bed.ts';
import { startCliInPty, type RenderedTerminal } from '../support/pty.ts';

// A tag on a loopback registry nothing listens on: its digest is looked up, and the lookup fails at once, here and
// in CI alike (no request leaves the machine).
const IMAGE = '127.0.0.1:9/tests/caelundas:1.0.0';
const IMAGE_PATTERN = IMAGE.replace(/[.]/g, '\\.');
// The third line prints a sensitive input, as a careless program might: the saved log must not hold it.
const LOG_LINES = Array.from({ length: 30 }, (_, index) =>
  index === 2 ? `log line 3 at ${VALID_INPUTS.LATITUDE},${VALID_INPUTS.LONGITUDE}` : `log line ${index + 1}`,
);

/** Rows matching `pattern`, with where they are. */
function rowsMatching(rendered: RenderedTerminal, pattern: RegExp): number[] {
  return rendered.lines.flatMap((line, index) => (pattern.test(line) ? [index] : []));
}

function onlyOnce(rendered: RenderedTerminal, pattern: RegExp): number {
  const rows = rowsMatching(rendered, pattern);
  assert.equal(rows.length, 1, `${pattern} should be on exactly one row, found ${rows.length}:\n${rendered.text}`);
  return rows[0]!;
}

describe('deploy on a terminal: what stays on screen', () => {
  let bed: DeployBed;
  let env: NodeJS.ProcessEnv;
  before(async () => {
    bed = await createDeployBed();
    bed.sim.setJobBehavior(
      { namePrefix: 'caelundas-' },
      { outcome: 'succeed', logLines: LOG_LINES, files: { 'a.ics': 'x' } },
    );
    env = { ...bed.env, ...VALID_INPUTS };
    delete env.CI; // a person at a terminal
  });
  after(async () => {
    await bed?.close();
  });

  const deploy = async (cols: number, rows: number, extra: readonly string[] = [], exitCode = 0) => {
    const session = startCliInPty(['deploy', 'caelundas', '--image', IMAGE, ...extra], {
      env,
      cols,
      rows,
      watchdogMs: 120_000,
    });
    const exit = await session.exited;
    assert.equal(exit.exitCode, exitCode, exit.screen);
    return session.rendered();
  };

  /**
   * The lines deckhand wrote from `first` up to the next ✔/✖/⚠ message, each with the rows it took: a line wider
   * than the terminal continues on the rows the terminal wrapped.
   */
  const writtenLines = (rendered: RenderedTerminal, first: number) => {
    const lines: { text: string; rows: number }[] = [];
    for (let row = first; row < rendered.lines.length; row += 1) {
      // The next message (the outcome, an error) ends the block.
      if (row > first && /^[✔✖⚠]/.test(rendered.lines[row]!)) break;
      if (rendered.overflowed.includes(row) && lines.length > 0) {
        const last = lines.at(-1)!;
        last.text += rendered.lines[row];
        last.rows += 1;
      } else lines.push({ text: rendered.lines[row]!, rows: 1 });
    }
    return lines;
  };

  /**
   * The next steps at 80 columns: every line fits, except a path that is wider than any line by itself (the tests'
   * output folder is deep in /tmp); every command is whole, on rows of its own (continued with ` \` when it must).
   */
  const checkNextSteps = (rendered: RenderedTerminal, from: RegExp, commands: readonly string[]) => {
    const block = writtenLines(rendered, onlyOnce(rendered, from));
    for (const line of block) {
      if (line.rows > 1)
        assert.match(line.text, /^\s*\S+$/, `only a lone path may be wider than 80 columns: ${line.text}`);
      else assert.ok(line.text.length <= 80, line.text);
    }
    const joined = block
      .map((line) => line.text)
      .join('\n')
      .replace(/ \\\n\s+/g, ' ');
    for (const command of commands)
      assert.ok(joined.split('\n').includes(`  ${command}`), `"${command}" whole on its own line in:\n${joined}`);
    return block.map((line) => line.text);
  };

  it('keeps the plan, where each input came from, and the last log lines, each once, in 80 columns', async () => {
    const rendered = await deploy(80, 24);
    const checked = onlyOnce(rendered, /^✔ Checked prerequisites: /);
    const release = onlyOnce(rendered, /^ {2}› release {4}caelundas-\d{8}-\d{6} in namespace caelundas \(a suffix/);
    onlyOnce(rendered, new RegExp(`^ {2}› image {6}${IMAGE_PATTERN} \\(existing image, no build\\)$`));
    onlyOnce(rendered, /^ {2}› chart {6}charts\/kubernetes-job with base\.yaml \+/);
    onlyOnce(rendered, /^ {2}› wait {7}up to 1 min for the Job$/);
    const inputs = [
      onlyOnce(rendered, /^ {2}› START_DATE {3}from environment: 2026-01-01$/),
      onlyOnce(rendered, /^ {2}› END_DATE {5}from environment: 2026-12-31$/),
      onlyOnce(rendered, /^ {2}› LATITUDE {5}from environment \(sensitive, masked\)$/),
      onlyOnce(rendered, /^ {2}› LONGITUDE {4}from environment \(sensitive, masked\)$/),
    ];
    assert.ok(checked < release && release < inputs[0]!, 'the steps in order');

    // The skipped build is its reason with a plain arrow; nothing on screen carries a warning sign.
    onlyOnce(rendered, new RegExp(`^ {2}↓ Using the existing image ${IMAGE_PATTERN}: the registry`));
    assert.doesNotMatch(rendered.text, /⚠/);

    // The Job's last 15 lines stay under it, after a count of the earlier ones.
    const job = onlyOnce(rendered, /^✔ Job caelundas-\d{8}-\d{6} completed in /);
    const omitted = onlyOnce(rendered, /^ {2}› … 16 earlier lines not shown$/);
    assert.equal(omitted, job + 1);
    assert.deepEqual(
      rendered.lines.slice(omitted + 1, omitted + 16).map((line) => line.trim()),
      LOG_LINES.slice(15).map((line) => `│ ${line}`),
    );
    assert.equal(rowsMatching(rendered, /│ log line 15$/).length, 0);
    // Under them, where the whole log is: the summary stays under the step. The test's output folder is deep in /tmp,
    // so its path is longer than a row here and continues on the next one.
    const summary = onlyOnce(rendered, /^ {4}Full log: /);
    assert.equal(summary, omitted + 16);
    const name = /✔ Job (caelundas-\d{8}-\d{6}(?:-\d+)?) completed in /.exec(rendered.text)![1]!;
    const saved = path.relative(REPO_ROOT, path.join(bed.runDir(name), 'job.log'));
    const rows = rendered.lines.slice(summary, summary + Math.ceil((16 + saved.length) / 74) + 1);
    assert.ok(
      rows
        .map((row) => row.trim())
        .join('')
        .startsWith(`Full log: ${saved}`),
      rows.join('\n'),
    );

    // Taller than the screen: the plan scrolled into the scrollback, where a person scrolls back to it.
    assert.ok(
      rendered.scrollback.some((line) => /› release {4}caelundas-/.test(line)),
      rendered.text,
    );
    // Every line of the pipeline was wrapped by deckhand, at a space and indented, not cut by the terminal's edge.
    const end = onlyOnce(rendered, /^✔ Copied 1 file \(1 B\) to/);
    const cut = rendered.overflowed.filter((row) => row >= checked && row <= end + 8);
    assert.deepEqual(
      cut.map((row) => rendered.lines[row]),
      [],
    );
  });

  it('gives each line one row at 200 columns, and saves the whole log, masked, beside run.json', async () => {
    const rendered = await deploy(200, 50);
    const release = /✔ Job (caelundas-\d{8}-\d{6}(?:-\d+)?) completed in /.exec(rendered.text)![1]!;
    const saved = path.join(bed.runDir(release), 'job.log');
    onlyOnce(rendered, new RegExp(`^ {4}Full log: ${path.relative(REPO_ROOT, saved).replace(/[.]/g, '\\.')}$`));
    const log = (await readFile(saved, 'utf8')).split('\n');
    assert.match(log[0]!, new RegExp(`^==> pod ${release}-\\w+ <==$`));
    assert.deepEqual(log.slice(1), [...LOG_LINES.map((line) => line.replace(/-?\d+\.\d{4}/g, '***')), '']);
    assert.ok(!log.join('\n').includes(VALID_INPUTS.LATITUDE), 'no sensitive input in the saved log');
    onlyOnce(rendered, /^✔ Checked prerequisites: docker \S+, helm \S+, kubectl \S+, commit [0-9a-f]{7}$/);
    onlyOnce(rendered, /^ {2}› chart {6}charts\/kubernetes-job with base\.yaml \+ caelundas-production\.yaml$/);
    onlyOnce(
      rendered,
      /^ {2}› Target: context "kube-sim" · API server http:\/\/127\.0\.0\.1:\d+ · namespace "caelundas"$/,
    );
    assert.deepEqual(rendered.overflowed, []);
  });
  it('prints the next steps of a failed run in 80 columns: each command whole on its own row, its comment above', async () => {
    bed.sim.setJobBehavior({ namePrefix: 'caelundas-' }, { outcome: 'fail', exitCode: 2, logLines: ['bad input'] });
    try {
      const rendered = await deploy(80, 24, [], 1);
      const release = /Job (caelundas-\d{8}-\d{6}(?:-\d+)?) failed after/.exec(rendered.text)![1]!;
      const commands = ['logs', 'copy', 'uninstall'].map(
        (verb) => `npx tsx tasks.ts ${verb} caelundas --release ${release}`,
      );
      const lines = checkNextSteps(rendered, /^Next steps:$/, commands);
      assert.deepEqual(lines.slice(0, 7), [
        'Next steps:',
        "  # the Job's logs",
        `  ${commands[0]}`,
        '  # copy its output when it is done',
        `  ${commands[1]}`,
        '  # remove the release and its PVC',
        `  ${commands[2]}`,
      ]);
    } finally {
      bed.sim.setJobBehavior({ namePrefix: 'caelundas-' }, { outcome: 'succeed', exitCode: 0, logLines: LOG_LINES });
    }
  });

  it('with --cleanup says what the kept volume costs a month and gives the command that deletes it, in 80 columns', async () => {
    const rendered = await deploy(80, 24, ['--cleanup']);
    const release =
      /Uninstalled (caelundas-\d{8}-\d{6}(?:-\d+)?) and deleted its PVC; kept its volume (\S+) \(still/.exec(
        rendered.text.replace(/\n\s*/g, ' '),
      );
    assert.ok(release, rendered.text);
    const [, name, volume] = release;
    // Under the step: what is kept and what it costs (the simulated class keeps volumes, as LKE's default does).
    assert.match(
      rendered.text.replace(/\n\s*/g, ' '),
      new RegExp(
        `Kept volume ${volume} \\(10Gi, reclaim policy Retain, Linode volume \\d+\\): it still holds the run's files and the Linode volume behind it is still billed \\(about \\$1\\.00/month at \\d{4}-\\d{2} prices\\)\\.`,
      ),
    );
    const command = `npx tsx tasks.ts uninstall caelundas --release ${name} --delete-volume`;
    const lines = checkNextSteps(rendered, /^Output:/, [command]);
    assert.match(
      lines.join(' '),
      new RegExp(`The volume ${volume} is kept by its reclaim policy \\(Retain\\) and billed, about \\$1\\.00/month`),
    );
    assert.ok(bed.sim.get('v1', 'PersistentVolume', undefined, volume!), 'the volume is still there');
  });
});
