/**
 * Under the tsx CLI (`npx tsx tasks.ts …`, the documented launcher) deckhand runs in a Node process of its own, one
 * level further down; the process tsx started does nothing but pass signals on and wait for deckhand's exit code.
 *
 * Why (node_modules/tsx/dist/cli.mjs, `relaySignals`): on SIGINT or SIGTERM, tsx's CLI waits 30 ms for its child to
 * report the signal back over tsx's IPC pipe — from a JavaScript handler, so only when the child's event loop is
 * free — and otherwise sends the signal to the child itself; when 30 ms more pass without a report, it SIGKILLs the
 * child, its guard against a script stuck in a loop. deckhand's event loop is busy for that long now and then
 * (compiling a module it loads, drawing the step list, a loaded machine), and a Ctrl-C at such a moment killed it
 * outright: no cleanup, no run record, the helper pod left behind. The process tsx watches now always answers in
 * time. The copies of the signal that reach deckhand (from the terminal, and passed on from here) are one Ctrl-C to
 * it (see scripts/lib/interrupt.ts). The `deckhand` bin runs without the tsx CLI and needs none of this.
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:os';

const PREFLIGHT = /[\\/]tsx[\\/]dist[\\/]preflight\.cjs$/;

/** True in the process the tsx CLI started (its preflight script is loaded there, and only there). */
export function startedByTsxCli(execArgv: readonly string[] = process.execArgv): boolean {
  return execArgv.some((arg) => PREFLIGHT.test(arg));
}

/** The Node options for deckhand's own process: tsx's loader, without the preflight that talks to tsx's CLI. */
export function nodeOptionsBesideTsx(execArgv: readonly string[]): string[] {
  const kept: string[] = [];
  for (let index = 0; index < execArgv.length; index++) {
    const arg = execArgv[index]!;
    if (arg === '--require' && PREFLIGHT.test(execArgv[index + 1] ?? '')) index++;
    else if (!PREFLIGHT.test(arg)) kept.push(arg);
  }
  return kept;
}

/**
 * When started by the tsx CLI: runs `entry` with `argv` in a child process and resolves with its exit code. Otherwise
 * undefined, and the caller runs the command itself.
 */
export function runBesideTsxCli(entry: string, argv: readonly string[]): Promise<number> | undefined {
  if (!startedByTsxCli()) return undefined;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...nodeOptionsBesideTsx(process.execArgv), entry, ...argv], {
      stdio: 'inherit',
    });
    // deckhand gets a terminal's Ctrl-C itself (same process group); a signal sent to the launcher alone reaches it
    // only from here.
    const forward = (signal: NodeJS.Signals) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    };
    process.on('SIGINT', forward);
    process.on('SIGTERM', forward);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      process.off('SIGINT', forward);
      process.off('SIGTERM', forward);
      resolve(code ?? 128 + (signal ? constants.signals[signal] : 0));
    });
  });
}
