/**
 * Runs deckhand's entry point in a real pseudo-terminal (node-pty), the way a person at a terminal does: stdin and
 * stdout are TTYs, so prompts are shown and Listr draws its default renderer. Tests type keys and read the screen
 * text (ANSI sequences stripped). Every session has a watchdog: a prompt that never appears, or a process that
 * never exits, fails the test with the screen so far instead of hanging the run.
 *
 * The stripped text is everything ever written, redraws included: a line Listr drew and later erased is still in it.
 * What a person can still read — the rows on the screen and the scrollback above them — comes from `rendered()`,
 * which replays the same bytes into a real terminal emulator (xterm.js, headless) of the same size.
 */
import { stripVTControlCharacters } from 'node:util';
import xterm from '@xterm/headless';
import { spawn, type IPty } from 'node-pty';
import { REPO_ROOT, TASKS } from './cli.ts';

export const KEYS = {
  enter: '\r',
  space: ' ',
  down: '\x1b[B',
  up: '\x1b[A',
  ctrlC: '\x03',
  escape: '\x1b',
} as const;

/** What the terminal shows at one moment, as a terminal emulator draws it. */
export interface RenderedTerminal {
  /** The rows that scrolled off the top, oldest first (what scrolling back shows). */
  scrollback: string[];
  /** The visible rows, top to bottom, trailing blanks trimmed. */
  screen: string[];
  /** scrollback then screen, without the empty rows below the last written one. */
  lines: string[];
  /** `lines` joined with newlines, for regular expressions. */
  text: string;
  /**
   * Indexes (in `lines`) of rows the terminal itself wrapped: the output ran past the right edge, so a word may be cut
   * anywhere. A line wrapped by the program (Listr, deckhand) is not among them.
   */
  overflowed: number[];
}

export interface PtyExit {
  exitCode: number;
  signal?: number;
  /** Everything the terminal showed, ANSI sequences stripped. */
  screen: string;
}

export interface PtySession {
  /** Types keys (see KEYS), as a person would. */
  type(keys: string): void;
  /** The screen text so far, ANSI sequences stripped. */
  screen(): string;
  /** The screen and scrollback now, as a terminal draws them (redrawn and erased lines are gone). */
  rendered(): Promise<RenderedTerminal>;
  readonly cols: number;
  /** Resolves once the screen shows `pattern` after `fromIndex` (default: anywhere); rejects on timeout or exit. */
  waitFor(pattern: RegExp | string, options?: { timeoutMs?: number; fromIndex?: number }): Promise<void>;
  readonly exited: Promise<PtyExit>;
  kill(): void;
}

export interface PtyOptions {
  /** The whole environment of the child (it should not contain CI, or nothing is interactive). */
  env: NodeJS.ProcessEnv;
  cwd?: string;
  cols?: number;
  rows?: number;
  /** The child is killed (and `exited` rejects) after this long. */
  watchdogMs?: number;
  /** Rows kept above the screen by the emulator behind `rendered()` (default 5000). */
  scrollback?: number;
}

export function startCliInPty(args: readonly string[], options: PtyOptions): PtySession {
  const env = Object.fromEntries(
    Object.entries({ TERM: 'xterm-256color', ...options.env }).filter(
      (entry): entry is [string, string] => entry[1] !== undefined,
    ),
  );
  const cols = options.cols ?? 200;
  const rows = options.rows ?? 50;
  const terminal: IPty = spawn(process.execPath, ['--import', 'tsx', TASKS, ...args], {
    name: 'xterm-256color',
    cols,
    rows,
    cwd: options.cwd ?? REPO_ROOT,
    env,
  });
  const emulator = new xterm.Terminal({ cols, rows, scrollback: options.scrollback ?? 5000, allowProposedApi: true });
  let raw = '';
  const listeners = new Set<() => void>();
  terminal.onData((data) => {
    raw += data;
    emulator.write(data);
    for (const listener of [...listeners]) listener();
  });
  const screen = () => stripVTControlCharacters(raw);
  let ended = false;
  const exited = new Promise<PtyExit>((resolve, reject) => {
    const watchdog = setTimeout(() => {
      terminal.kill('SIGKILL');
      reject(
        new Error(
          `tasks.ts ${args.join(' ')} was still running after ${options.watchdogMs ?? 60_000} ms. Screen:\n${screen()}`,
        ),
      );
    }, options.watchdogMs ?? 60_000);
    terminal.onExit(({ exitCode, signal }) => {
      ended = true;
      clearTimeout(watchdog);
      // Let the last output arrive before the screen is read.
      setTimeout(() => {
        for (const listener of [...listeners]) listener();
        resolve({ exitCode, ...(signal ? { signal } : {}), screen: screen() });
      }, 50);
    });
  });
  exited.catch(() => undefined);

  return {
    type: (keys) => terminal.write(keys),
    screen,
    rendered: () => new Promise((resolve) => emulator.write('', () => resolve(readEmulator(emulator)))),
    cols,
    exited,
    kill: () => terminal.kill('SIGKILL'),
    waitFor(pattern, waitOptions = {}) {
      const timeoutMs = waitOptions.timeoutMs ?? 20_000;
      return new Promise<void>((resolve, reject) => {
        const check = () => {
          const text = screen().slice(waitOptions.fromIndex ?? 0);
          if (typeof pattern === 'string' ? text.includes(pattern) : pattern.test(text)) finish(() => resolve());
          else if (ended)
            finish(() =>
              reject(new Error(`The process exited before the screen showed ${String(pattern)}. Screen:\n${screen()}`)),
            );
        };
        const timer = setTimeout(
          () =>
            finish(() =>
              reject(
                new Error(`The screen did not show ${String(pattern)} within ${timeoutMs} ms. Screen:\n${screen()}`),
              ),
            ),
          timeoutMs,
        );
        const finish = (settle: () => void) => {
          clearTimeout(timer);
          listeners.delete(check);
          settle();
        };
        listeners.add(check);
        check();
      });
    },
  };
}

function readEmulator(emulator: InstanceType<typeof xterm.Terminal>): RenderedTerminal {
  const buffer = emulator.buffer.active;
  const all: string[] = [];
  const overflowed: number[] = [];
  for (let row = 0; row < buffer.length; row += 1) {
    const line = buffer.getLine(row);
    all.push(line?.translateToString(true) ?? '');
    if (line?.isWrapped) overflowed.push(row);
  }
  const scrollback = all.slice(0, buffer.baseY);
  const screen = all.slice(buffer.baseY);
  const lines = [...all];
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return { scrollback, screen, lines, text: lines.join('\n'), overflowed };
}
