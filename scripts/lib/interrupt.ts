/**
 * Ctrl-C and SIGTERM handling. The first signal aborts one AbortSignal that every running command, watch and wait
 * listens to (the runner kills its child, waits stop); `finally` blocks and registered cleanups then run (a helper pod
 * is deleted, temp files go) and the process exits 130. A second signal exits at once.
 */
import { InterruptedError } from './errors.ts';

export type Cleanup = () => Promise<void> | void;

export interface Interruption {
  /** Aborted on the first SIGINT/SIGTERM; its `reason` is an InterruptedError. */
  readonly signal: AbortSignal;
  /** Registers work that must happen however the run ends; returns a function that unregisters it. */
  onCleanup(cleanup: Cleanup): () => void;
  /** Runs the registered cleanups (last registered first), each once, never throwing. */
  runCleanups(): Promise<void>;
  /** Removes the signal handlers. */
  dispose(): void;
}

export function handleInterrupts(options: {
  log: (line: string) => void;
  forceExit?: (code: number) => void;
}): Interruption {
  const controller = new AbortController();
  const cleanups: Cleanup[] = [];
  const forceExit = options.forceExit ?? ((code: number) => process.exit(code));

  const onSignal = (signal: NodeJS.Signals) => {
    if (controller.signal.aborted) {
      options.log(`Received ${signal} again: quitting without waiting for cleanup.`);
      forceExit(130);
      return;
    }
    options.log(`Received ${signal}: stopping and cleaning up (press Ctrl-C again to quit at once).`);
    controller.abort(new InterruptedError(`Interrupted by ${signal}.`));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  return {
    signal: controller.signal,
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
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
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
