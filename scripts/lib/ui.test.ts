import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Listr } from 'listr2';
import {
  DeckhandError,
  EXIT_USAGE,
  StepError,
  UsageError,
  exitCodeFor,
  formatError,
  unwrapStepError,
} from './errors.ts';
import { stepTasks } from './ui.ts';

describe('step errors', () => {
  const diagnosis = new DeckhandError(
    'Job x failed after 1 s: exit code 3.\nLast log lines:\n  │ line one\n  │ line two',
    'Read the last log lines above.',
  );

  it('show one line beside the step, while the top-level report keeps the whole error, its fix and its exit code', async () => {
    const failure = await new Listr(stepTasks([{ title: 'Run the Job', task: () => Promise.reject(diagnosis) }]), {
      renderer: 'silent',
      exitOnError: true,
      registerSignalListeners: false,
    })
      .run()
      .then(
        () => assert.fail('the pipeline should fail'),
        (error: unknown) => error,
      );
    assert.ok(failure instanceof StepError);
    assert.equal(failure.message, 'Job x failed after 1 s: exit code 3.');
    assert.equal(unwrapStepError(failure), diagnosis);
    const report = formatError(failure, { verbose: false });
    assert.match(report, /│ line two/);
    assert.match(report, /→ Read the last log lines above\./);
    assert.equal(report.match(/Last log lines/g)?.length, 1);
  });

  it('keep the exit code of what was thrown, also through a parent step and from a synchronous throw', async () => {
    const failure = await new Listr(
      stepTasks([
        {
          title: 'Prepare',
          task: (_, task) =>
            task.newListr(
              stepTasks([
                { title: 'fine', task: async () => undefined },
                {
                  title: 'bad input',
                  task: () => {
                    throw new UsageError('START_DATE: expected YYYY-MM-DD.\nsecond line');
                  },
                },
              ]),
              { concurrent: true },
            ),
        },
      ]),
      { renderer: 'silent', exitOnError: true, registerSignalListeners: false },
    )
      .run()
      .then(
        () => assert.fail('the pipeline should fail'),
        (error: unknown) => error,
      );
    assert.equal((failure as Error).message, 'START_DATE: expected YYYY-MM-DD.');
    assert.equal(exitCodeFor(failure), EXIT_USAGE);
    assert.ok(unwrapStepError(failure) instanceof UsageError);
  });
});
