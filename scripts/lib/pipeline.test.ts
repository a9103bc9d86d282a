import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  DeckhandError,
  EXIT_USAGE,
  StepError,
  UsageError,
  exitCodeFor,
  formatError,
  unwrapStepError,
} from './errors.ts';
import { outputPlan, runPipeline, StepOutput, type PipelineEntry } from './pipeline.ts';

const SILENT = { verbose: false, interactive: false, renderer: 'silent' } as const;

async function failureOf<Ctx>(ctx: Ctx, entries: PipelineEntry<Ctx>[]): Promise<unknown> {
  return runPipeline(ctx, entries, SILENT).then(
    () => assert.fail('the pipeline should fail'),
    (error: unknown) => error,
  );
}

describe('step errors', () => {
  const diagnosis = new DeckhandError(
    'Job x failed after 1 s: exit code 3.\nLast log lines:\n  │ line one\n  │ line two',
    'Read the last log lines above.',
  );

  it('show one line beside the step, while the top-level report keeps the whole error, its fix and its exit code', async () => {
    const failure = await failureOf({}, [{ title: 'Run the Job', run: () => Promise.reject(diagnosis) }]);
    assert.ok(failure instanceof StepError);
    assert.equal(failure.message, 'Job x failed after 1 s: exit code 3.');
    assert.equal(unwrapStepError(failure), diagnosis);
    const report = formatError(failure, { verbose: false });
    assert.match(report, /│ line two/);
    assert.match(report, /→ Read the last log lines above\./);
    assert.equal(report.match(/Last log lines/g)?.length, 1);
  });

  it('keep the exit code of what was thrown, also through a parent step and from a synchronous throw', async () => {
    const failure = await failureOf({}, [
      {
        title: 'Prepare',
        concurrent: true,
        steps: [
          { title: 'fine', run: async () => undefined },
          {
            title: 'bad input',
            run: () => {
              throw new UsageError('START_DATE: expected YYYY-MM-DD.\nsecond line');
            },
          },
        ],
      },
    ]);
    assert.equal((failure as Error).message, 'START_DATE: expected YYYY-MM-DD.');
    assert.equal(exitCodeFor(failure), EXIT_USAGE);
    assert.ok(unwrapStepError(failure) instanceof UsageError);
  });
});

describe('a pipeline run in process', () => {
  it('reports each step as completed, skipped (with why) or disabled, with the titles the steps set', async () => {
    const seen: string[] = [];
    const reports = await runPipeline(
      { build: false },
      [
        {
          title: 'Check',
          run: (_, task) => {
            task.output = 'all there';
            task.title = 'Checked';
            seen.push('check');
          },
        },
        {
          title: 'Side by side',
          concurrent: true,
          steps: [
            { title: 'Build', run: (_, task) => task.skip('The image is already in the registry') },
            { title: 'Render', run: () => void seen.push('render') },
          ],
        },
        { title: 'Clean up', enabled: (ctx) => ctx.build, run: () => void seen.push('clean') },
      ],
      SILENT,
    );
    assert.deepEqual(reports, [
      { title: 'Checked', state: 'completed' },
      { title: 'Build', state: 'skipped', message: 'The image is already in the registry' },
      { title: 'Render', state: 'completed' },
      { title: 'Clean up', state: 'disabled' },
    ]);
    assert.deepEqual(seen, ['check', 'render']);
  });

  it('stops at the first failure and runs nothing after it', async () => {
    const seen: string[] = [];
    await failureOf({}, [
      { title: 'One', run: () => void seen.push('one') },
      { title: 'Two', run: () => Promise.reject(new DeckhandError('broken')) },
      { title: 'Three', run: () => void seen.push('three') },
    ]);
    assert.deepEqual(seen, ['one']);
  });

  it('fails fast instead of prompting when nobody is at a terminal', async () => {
    const failure = await failureOf({}, [
      {
        title: 'Ask',
        run: async (_, task) => {
          await task.prompter.input({ message: 'Name?' }, { what: 'NAME', howToProvide: 'set NAME' });
        },
      },
    ]);
    assert.equal(exitCodeFor(failure), EXIT_USAGE);
    assert.match(formatError(failure, { verbose: false }), /NAME: set NAME/);
  });
});

/** What Listr is handed: each assignment to a task's output, null being Listr's "empty it". */
function listrTask() {
  const shown: (string | null)[] = [];
  return {
    shown,
    // Typed as Listr types it; deckhand assigns null to empty it, as Listr's own API does.
    set output(value: string) {
      shown.push(value);
    },
    /** The entries a renderer holds after the last reset. */
    entries: () => shown.slice(shown.lastIndexOf(null) + 1),
  };
}

describe('what a step leaves on a terminal', () => {
  const lines = Array.from({ length: 20 }, (_, index) => `│ line ${index + 1}`);

  it('keeps the last N lines under a count of the earlier ones, and the summaries below, while showing a window', () => {
    const task = listrTask();
    const output = new StepOutput(task, outputPlan({ outputLines: 3, keepOutput: { lastLines: 4 } }, true));
    for (const line of lines) output.add(line);
    // While it runs: one entry, the latest three lines.
    assert.equal(task.shown.at(-1), '│ line 18\n│ line 19\n│ line 20');
    output.summary('Full log: output/run/job.log');
    output.finish(false);
    assert.deepEqual(task.entries(), [
      '… 16 earlier lines not shown\n│ line 17\n│ line 18\n│ line 19\n│ line 20\nFull log: output/run/job.log',
    ]);
  });

  it('keeps every line as its own entry when asked to keep all, and adds the summaries', () => {
    const task = listrTask();
    const plan = outputPlan({ keepOutput: true }, true);
    assert.deepEqual(plan, { mode: 'native', bar: Infinity, keep: Infinity, keepWhenFailed: Infinity });
    const output = new StepOutput(task, plan);
    output.add('release    r1');
    output.add('image      i1');
    output.summary('note');
    output.finish(false);
    assert.deepEqual(task.entries(), ['release    r1', 'image      i1', 'note']);
  });

  it('leaves nothing but the summaries of a step that keeps nothing, and honours whenFailed: false', () => {
    const quiet = listrTask();
    const output = new StepOutput(quiet, outputPlan({}, true));
    output.add('working');
    output.summary('saved to x');
    output.finish(false);
    assert.deepEqual(quiet.entries(), ['saved to x']);

    const failed = listrTask();
    const log = new StepOutput(
      failed,
      outputPlan({ outputLines: 15, keepOutput: { lastLines: 15, whenFailed: false } }, true),
    );
    for (const line of lines) log.add(line);
    log.finish(true);
    assert.deepEqual(failed.entries(), [], 'its error repeats the last lines');
  });

  it('prints every line once, as it comes, off a terminal (and does not redraw anything at the end)', () => {
    const task = listrTask();
    const output = new StepOutput(task, outputPlan({ outputLines: 3, keepOutput: { lastLines: 2 } }, false));
    output.add('a');
    output.add('b');
    output.summary('c');
    output.finish(false);
    assert.deepEqual(task.shown, ['a', 'b', 'c']);
  });
});
