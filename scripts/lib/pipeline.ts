/**
 * Pipelines: the runbooks in tasks.ts are lists of steps, drawn by Listr2 on a terminal and printed line by line off
 * one (CI, pipes, --verbose). Steps never see Listr's own types: they get a StepTask — a title to set, output lines to
 * add, a skip, and a prompter that pauses the renderer — so a step is a plain async function that a test can call
 * with a fake task, and a whole pipeline can run in process with the silent renderer, reporting each step's state.
 *
 * What stays on screen. Each top-level step (or group of side-by-side steps) is drawn by a Listr of its own, so once
 * it ends its lines are written out for good — into the terminal's scrollback, like any program's output — and only
 * the running step is redrawn. What a step leaves behind is its title (the skip reason, or the error's first line)
 * and the output its `keepOutput` asks for, decided by deckhand when the step ends, not left to the renderer: Listr's
 * default renderer keeps one output line per step unless told otherwise, which is how the plan and the inputs'
 * sources used to collapse to their last line.
 */
import { styleText } from 'node:util';
import type { ListrBaseClassOptions, ListrTask, ListrTaskWrapper } from 'listr2';
import { isCi } from './config.ts';
import { StepError } from './errors.ts';
import { createTaskPrompter, type Prompter } from './prompts.ts';
import { plural } from './wording.ts';

/** What a step may do with the task that runs it. */
export interface StepTask {
  /** The line shown for the step; steps rewrite it to say what they did. */
  title: string;
  /** Each assignment adds one output line under the step. */
  output: string;
  /**
   * A line that stays under the step once it ends, after whatever output it keeps (also when it keeps none or only
   * the last lines): e.g. where the full log was saved. Printed at once off a terminal.
   */
  summary(line: string): void;
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
  /**
   * The step's output lines that stay on screen after it ends (completed, skipped or failed): `true` for all of
   * them, `{ lastLines: N }` for the last N under a line saying how many earlier ones are not shown (`whenFailed:
   * false`: not when the step fails, because its error repeats them). Without it the output shows only while the
   * step runs. Off a terminal every line is printed as it comes, whatever this says.
   */
  keepOutput?: boolean | { lastLines: number; whenFailed?: boolean };
  /**
   * How many of the latest output lines show while it runs (a streamed log); default: all of a step that keeps its
   * output, else the latest one.
   */
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
  const silent = options.renderer === 'silent';
  const redraw = !silent && canRedraw(options.env) && !options.verbose;
  const listrOptions = silent
    ? ({ renderer: 'silent', exitOnError: true, registerSignalListeners: false } as const)
    : await rendererOptions<Ctx>(redraw);
  const reports: StepReport[] = [];
  const track = (step: Step<Ctx>): ListrTask<Ctx, any, any> => {
    const report: StepReport = { title: step.title, state: 'disabled' };
    reports.push(report);
    const plan = outputPlan(step, redraw);
    return {
      title: step.title,
      ...(step.enabled ? { enabled: () => step.enabled!(ctx) } : {}),
      // deckhand decides what stays (StepOutput.finish); a block is one entry, replaced as the window moves.
      rendererOptions: { persistentOutput: plan.mode !== 'lines', outputBar: plan.mode === 'native' ? plan.bar : 1 },
      task: async (_, listrTask) => {
        const output = new StepOutput(listrTask, plan);
        const task = stepTask(listrTask, output, options.interactive, (message) => {
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
          output.finish(report.state === 'failed');
          report.title = listrTask.title ?? report.title;
        }
      },
    };
  };
  const runs = entries.map((entry) => {
    if (!('concurrent' in entry)) return { entry, task: track(entry) };
    const children = entry.steps.map(track);
    const task: ListrTask<Ctx, any, any> = {
      title: entry.title,
      task: (_, parent) => parent.newListr(children, { concurrent: true, exitOnError: true }),
    };
    return { entry, task };
  });
  for (const { entry, task } of runs) {
    if (!('concurrent' in entry) && entry.enabled && !entry.enabled(ctx)) continue;
    await new Listr<Ctx, any, any>([task], { ...listrOptions, ctx }).run();
  }
  return reports;
}

/**
 * Off a terminal the `simple` renderer prints each title and output line once; `--verbose` uses it too, so the
 * command echo is never overdrawn. A skipped step is drawn as its reason with a plain ↓: a build skipped because the
 * registry has the image is good news, not the warning sign Listr shows by default.
 */
async function rendererOptions<Ctx>(redraw: boolean): Promise<ListrBaseClassOptions<Ctx, 'default', 'simple'>> {
  const { figures } = await import('listr2');
  return {
    renderer: 'default',
    fallbackRenderer: 'simple',
    fallbackRendererCondition: !redraw,
    exitOnError: true,
    registerSignalListeners: false, // deckhand's own handler forwards Ctrl-C to children and runs cleanup
    rendererOptions: {
      collapseSubtasks: false,
      collapseSkips: true,
      showSkipMessage: true,
      showErrorMessage: true,
      formatOutput: 'wrap',
      icon: { SKIPPED_WITH_COLLAPSE: figures.arrowDown },
      color: { SKIPPED_WITH_COLLAPSE: (text?: string) => styleText('dim', text ?? '') },
    },
  };
}

/** True when stdout can show Listr's redrawing renderer. */
export function canRedraw(env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(process.stdout.isTTY) && !isCi(env) && env.TERM !== 'dumb';
}

/**
 * How a step's output is drawn. `lines`: every line as it comes (off a terminal). `native`: Listr keeps the lines
 * itself, one entry each (`bar` of them while it runs). `block`: the step shows a window of the latest lines, which
 * deckhand keeps itself and hands to Listr as one multi-line entry, so that what stays afterwards can differ from
 * the window (all lines, or the last N under a count of the rest).
 */
export interface OutputPlan {
  mode: 'lines' | 'native' | 'block';
  /** Lines shown while running. */
  bar: number;
  /** Lines kept after the end: all, the last N, or none. */
  keep: number;
  /** Lines kept after a failure. */
  keepWhenFailed: number;
}

export function outputPlan(step: Pick<Step<never>, 'keepOutput' | 'outputLines'>, redraw: boolean): OutputPlan {
  const keep = step.keepOutput === true ? Infinity : step.keepOutput ? step.keepOutput.lastLines : 0;
  const keepWhenFailed = typeof step.keepOutput === 'object' && step.keepOutput.whenFailed === false ? 0 : keep;
  if (!redraw) return { mode: 'lines', bar: Infinity, keep, keepWhenFailed };
  const window = step.outputLines ?? (keep === Infinity ? Infinity : keep || 1);
  const block = Number.isFinite(window) && window > 1;
  return { mode: block ? 'block' : 'native', bar: window, keep, keepWhenFailed };
}

/**
 * A step's output lines and summaries, and what of them Listr is shown while the step runs and once it ends (exported
 * for its unit test; steps only see StepTask).
 */
export class StepOutput {
  private readonly lines: string[] = [];
  private readonly summaries: string[] = [];

  private readonly task: Pick<ListrTaskWrapper<any, any, any>, 'output'>;
  private readonly plan: OutputPlan;

  constructor(task: Pick<ListrTaskWrapper<any, any, any>, 'output'>, plan: OutputPlan) {
    this.task = task;
    this.plan = plan;
  }

  get last(): string {
    return this.lines.at(-1) ?? '';
  }

  add(text: string): void {
    const lines = text.split(/\r?\n/);
    this.lines.push(...lines);
    if (this.plan.mode === 'block') this.show(this.lines.slice(-this.plan.bar));
    else this.task.output = text;
  }

  summary(line: string): void {
    this.summaries.push(line);
    if (this.plan.mode === 'lines') this.task.output = line;
  }

  /** Leaves on screen what the step keeps, and its summaries. */
  finish(failed: boolean): void {
    if (this.plan.mode === 'lines') return;
    const keep = failed ? this.plan.keepWhenFailed : this.plan.keep;
    if (this.plan.mode === 'native' && keep === Infinity) {
      // Listr holds every line already (its buffer has no limit here): only the summaries are added.
      for (const line of this.summaries) this.task.output = line;
      return;
    }
    const keptCount = Math.min(keep, this.lines.length);
    const kept = keptCount === 0 ? [] : this.lines.slice(-keptCount);
    const omitted = this.lines.length - keptCount;
    const note = keep > 0 && omitted > 0 ? [`… ${plural(omitted, 'earlier line')} not shown`] : [];
    this.task.output = null as never; // Listr's way to empty a task's output
    this.show([...note, ...kept, ...this.summaries]);
  }

  private show(lines: readonly string[]): void {
    if (lines.length > 0) this.task.output = lines.join('\n');
  }
}

function stepTask(
  task: ListrTaskWrapper<any, any, any>,
  output: StepOutput,
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
      return output.last;
    },
    set output(line: string) {
      output.add(line);
    },
    summary: (line) => output.summary(line),
    skip(message) {
      onSkip(message);
      task.skip(message);
    },
    get prompter() {
      // What the prompter tells (e.g. "Saved … to .env.caelundas") is one more output line of the step.
      const promptTask = {
        prompt: (adapter: never) => task.prompt(adapter),
        set output(line: string) {
          output.add(line);
        },
      };
      prompter ??= createTaskPrompter(promptTask as never, { interactive });
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
