/**
 * Pipelines: the runbooks in tasks.ts are lists of steps, drawn by Listr2 on a terminal and printed line by line off
 * one (CI, pipes, --verbose). Steps never see Listr's own types: they get a StepTask — a title to set, output lines to
 * add, a skip, and a prompter that pauses the renderer — so a step is a plain async function that a test can call
 * with a fake task, and a whole pipeline can run in process with the silent renderer, reporting each step's state.
 */
import type { ListrBaseClassOptions, ListrTask, ListrTaskWrapper } from 'listr2';
import { isCi } from './config.ts';
import { StepError } from './errors.ts';
import { createTaskPrompter, type Prompter } from './prompts.ts';

/** What a step may do with the task that runs it. */
export interface StepTask {
  /** The line shown for the step; steps rewrite it to say what they did. */
  title: string;
  /** Each assignment adds one output line under the step. */
  output: string;
  /** Marks the step skipped, with a sentence that says why. */
  skip(message: string): void;
  /** Asks on the terminal without fighting the renderer (off a terminal it fails fast, naming what is missing). */
  readonly prompter: Prompter;
}

export interface Step<Ctx> {
  title: string;
  run: (ctx: Ctx, task: StepTask) => Promise<void> | void;
  /** Not part of this pipeline (hidden, not run). */
  enabled?: (ctx: Ctx) => boolean;
  /** Keep the step's output lines on screen after it ends. */
  keepOutput?: boolean;
  /** How many of the latest output lines to show while it runs (a streamed log). */
  outputLines?: number;
}

/** Steps that run side by side under one title. Nothing in them may prompt. */
export interface StepGroup<Ctx> {
  title: string;
  concurrent: true;
  steps: readonly Step<Ctx>[];
}

export type PipelineEntry<Ctx> = Step<Ctx> | StepGroup<Ctx>;

export type StepState = 'completed' | 'skipped' | 'failed' | 'disabled';

/** What happened to each step, in the order the pipeline lists them (groups flattened). */
export interface StepReport {
  title: string;
  state: StepState;
  /** The skip message, or the first line of the failure. */
  message?: string;
}

export interface PipelineOptions {
  verbose: boolean;
  interactive: boolean;
  /** 'silent' for tests; otherwise the terminal decides (redrawing there, plain lines elsewhere). */
  renderer?: 'auto' | 'silent';
  env?: NodeJS.ProcessEnv;
}

/** Runs the steps in order (groups side by side); the first failure stops the rest and is rethrown. */
export async function runPipeline<Ctx>(
  ctx: Ctx,
  entries: readonly PipelineEntry<Ctx>[],
  options: PipelineOptions,
): Promise<StepReport[]> {
  const { Listr } = await import('listr2');
  const reports: StepReport[] = [];
  const track = (step: Step<Ctx>): ListrTask<Ctx, any, any> => {
    const report: StepReport = { title: step.title, state: 'disabled' };
    reports.push(report);
    return {
      title: step.title,
      ...(step.enabled ? { enabled: () => step.enabled!(ctx) } : {}),
      rendererOptions: {
        ...(step.keepOutput ? { persistentOutput: true } : {}),
        ...(step.outputLines ? { outputBar: step.outputLines } : {}),
      },
      task: async (_, listrTask) => {
        const task = stepTask(listrTask, options.interactive, (message) => {
          report.state = 'skipped';
          report.message = message;
        });
        report.state = 'completed';
        try {
          await step.run(ctx, task);
        } catch (error) {
          report.state = 'failed';
          report.message = (error instanceof Error ? error.message : String(error)).split('\n')[0];
          // One line beside the step; the whole error is printed once, at the end (see StepError).
          throw error instanceof StepError ? error : new StepError(error);
        } finally {
          report.title = listrTask.title ?? report.title;
        }
      },
    };
  };
  const tasks = entries.map((entry): ListrTask<Ctx, any, any> => {
    if (!('concurrent' in entry)) return track(entry);
    const children = entry.steps.map(track);
    return { title: entry.title, task: (_, task) => task.newListr(children, { concurrent: true, exitOnError: true }) };
  });
  const listrOptions =
    options.renderer === 'silent'
      ? ({ renderer: 'silent', exitOnError: true, registerSignalListeners: false } as const)
      : rendererOptions<Ctx>(options);
  await new Listr<Ctx, any, any>(tasks, { ...listrOptions, ctx }).run();
  return reports;
}

/**
 * Off a terminal the `simple` renderer prints each title and output line once; `--verbose` uses it too, so the
 * command echo is never overdrawn.
 */
function rendererOptions<Ctx>(options: PipelineOptions): ListrBaseClassOptions<Ctx, 'default', 'simple'> {
  const redraw = canRedraw(options.env) && !options.verbose;
  return {
    renderer: 'default',
    fallbackRenderer: 'simple',
    fallbackRendererCondition: !redraw,
    exitOnError: true,
    registerSignalListeners: false, // deckhand's own handler forwards Ctrl-C to children and runs cleanup
    rendererOptions: {
      collapseSubtasks: false,
      collapseSkips: false,
      showSkipMessage: true,
      showErrorMessage: true,
      formatOutput: 'wrap',
    },
  };
}

/** True when stdout can show Listr's redrawing renderer. */
export function canRedraw(env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(process.stdout.isTTY) && !isCi(env) && env.TERM !== 'dumb';
}

function stepTask(
  task: ListrTaskWrapper<any, any, any>,
  interactive: boolean,
  onSkip: (message: string) => void,
): StepTask {
  let prompter: Prompter | undefined;
  return {
    get title() {
      return task.title ?? '';
    },
    set title(value: string) {
      task.title = value;
    },
    get output() {
      return task.output ?? '';
    },
    set output(line: string) {
      task.output = line;
    },
    skip(message) {
      onSkip(message);
      task.skip(message);
    },
    get prompter() {
      prompter ??= createTaskPrompter(task as never, { interactive });
      return prompter;
    },
  };
}

/** A log function that writes into a step's output. */
export function taskLog(task: Pick<StepTask, 'output'>): (line: string) => void {
  return (line) => {
    task.output = line;
  };
}
