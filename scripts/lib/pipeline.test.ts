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
import { runPipeline, type PipelineEntry } from './pipeline.ts';

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
