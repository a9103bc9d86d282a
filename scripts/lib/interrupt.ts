/**
 * Ctrl-C and SIGTERM handling. The first signal aborts one AbortSignal that every running command, watch and wait
 * listens to (the runner kills its child, waits stop); `finally` blocks and registered cleanups then run (a helper pod
 * is deleted, temp files go) and the process exits 130. A closed output pipe (see process-output.ts) stops a run the
 * same way, through `interrupt`.
 *
 * A repeated signal quits at once, without cleanup — but only when it comes at least REPEAT_GRACE_MS after the first.
 * One Ctrl-C often arrives twice: a terminal signals the whole foreground process group, and `npx tsx tasks.ts` puts
 * two processes in front of deckhand that relay it. tsx's CLI waits 30 ms for its child to report the signal (over
 * its IPC pipe) and, when the report is late — the child was busy, or the report raced tsx's own handler — sends the
 * same signal to the child itself; npm forwards it to tsx as well. Counting that copy as a second Ctrl-C used to skip
 * the cleanup and leave the helper pod behind. A person who means "quit now" presses again after seeing the
 * "stopping and cleaning up" line, which takes longer than the grace.
 */
import { InterruptedError } from './errors.ts';

export type Cleanup = () => Promise<void> | void;

/** Signals this close to the first are copies of it (relayed by tsx or npm), not a second Ctrl-C. */
export const REPEAT_GRACE_MS = 2000;

export interface Interruption {
  /** Aborted on the first SIGINT/SIGTERM (or `interrupt`); its `reason` is an InterruptedError. */
  readonly signal: AbortSignal;
  /** Stops the run as a first Ctrl-C would (nothing happens when it is already stopping). */
  interrupt(reason: InterruptedError): void;
  /** Registers work that must happen however the run ends; returns a function that unregisters it. */
  onCleanup(cleanup: Cleanup): () => void;
  /** Runs the registered cleanups (last registered first), each once, never throwing. */
  runCleanups(): Promise<void>;
  /** Removes the signal handlers. */
  dispose(): void;
}

/** Where signals come from: the process, or a test's emitter. */
export interface SignalSource {
  on(event: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown;
  off(event: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown;
}

export function handleInterrupts(options: {
  log: (line: string) => void;
  forceExit?: (code: number) => void;
  signals?: SignalSource;
  now?: () => number;
}): Interruption {
  const controller = new AbortController();
  const cleanups: Cleanup[] = [];
  const forceExit = options.forceExit ?? ((code: number) => process.exit(code));
  const source = options.signals ?? process;
  const now = options.now ?? (() => performance.now());
  let firstSignalAt: number | undefined;

  const onSignal = (signal: NodeJS.Signals) => {
    if (firstSignalAt === undefined) {
      firstSignalAt = now();
      if (controller.signal.aborted) {
        options.log(`Received ${signal}: already stopping and cleaning up (press Ctrl-C again to quit at once).`);
        return;
      }
      options.log(`Received ${signal}: stopping and cleaning up (press Ctrl-C again to quit at once).`);
      controller.abort(new InterruptedError(`Interrupted by ${signal}.`));
      return;
    }
    if (now() - firstSignalAt < REPEAT_GRACE_MS) return;
    options.log(`Received ${signal} again: quitting without waiting for cleanup.`);
    forceExit(130);
  };
  source.on('SIGINT', onSignal);
  source.on('SIGTERM', onSignal);

  return {
    signal: controller.signal,
    interrupt(reason) {
      if (controller.signal.aborted) return;
      controller.abort(reason);
    },
    onCleanup(cleanup) {
      cleanups.push(cleanup);
      return () => {
        const index = cleanups.indexOf(cleanup);
        if (index !== -1) cleanups.splice(index, 1);
      };
    },
    async runCleanups() {
      while (cleanups.length > 0) {
        const cleanup = cleanups.pop()!;
        try {
          await cleanup();
        } catch (error) {
          options.log(`Cleanup failed: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
    },
    dispose() {
      source.off('SIGINT', onSignal);
      source.off('SIGTERM', onSignal);
    },
  };
}

/** Throws the interruption if the signal fired; call between steps so an interrupted run stops promptly. */
export function throwIfInterrupted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw signal.reason instanceof Error ? signal.reason : new InterruptedError();
}

/** A timer that resolves after `ms`, or rejects at once when the signal fires. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason instanceof Error ? signal.reason : new InterruptedError());
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason instanceof Error ? signal!.reason : new InterruptedError());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
