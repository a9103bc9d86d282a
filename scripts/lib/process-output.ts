/**
 * The process-wide output guard, installed first thing by the entry point: everything written to stdout and stderr —
 * by deckhand, Listr's renderers, the prompt library, Node's own warnings — passes the SecretMasker, and a stream
 * whose reader has gone is handled once, here, instead of crashing the process.
 *
 * A closed stdout (`deploy … | head -3`: head exits after three lines) makes the next write fail with EPIPE, which
 * Node reports as an 'error' event; unhandled, it ended the process with a stack trace in the middle of a run, before
 * cleanup and before run.json. The guard turns it into an interruption instead: the run stops the way Ctrl-C stops
 * it (running commands end, cleanups run, the run is recorded, exit 130), and from then on writes to that stream are
 * dropped. Stopping, rather than finishing the run without output, is what a pipeline's reader that quit expects of
 * every other program (they die of SIGPIPE) — and nobody is left watching a 30-minute run no one can see.
 */
import type { SecretMasker } from './redact.ts';

export type StreamName = 'stdout' | 'stderr';

export interface OutputGuard {
  /** Masks every later write with this masker (the command context creates it after the guard). */
  useMasker(masker: SecretMasker): void;
  /** Called once per stream, the first time it turns out to be closed. Returns a function that unregisters it. */
  onClosed(listener: (stream: StreamName, code: string) => void): () => void;
  isClosed(stream: StreamName): boolean;
  /** Puts the original writers back. */
  restore(): void;
}

type Writer = (chunk: unknown, ...rest: unknown[]) => boolean;

/**
 * A write that fails after the guard is restored (the last error message, at exit) must not crash the process either:
 * each stream keeps one handler that ignores errors for the rest of the process's life.
 */
const ignoring = new WeakSet<NodeJS.WriteStream>();
function ignoreErrorsForGood(stream: NodeJS.WriteStream): void {
  if (ignoring.has(stream)) return;
  ignoring.add(stream);
  stream.on('error', () => undefined);
}

export function guardProcessOutput(
  options: { masker?: SecretMasker; streams?: Record<StreamName, NodeJS.WriteStream> } = {},
): OutputGuard {
  const streams = options.streams ?? { stdout: process.stdout, stderr: process.stderr };
  let masker = options.masker;
  const closed = new Set<StreamName>();
  const listeners = new Set<(stream: StreamName, code: string) => void>();

  const restorers = (Object.entries(streams) as [StreamName, NodeJS.WriteStream][]).map(([name, stream]) => {
    const original = stream.write as Writer;
    const guarded = function (this: NodeJS.WriteStream, chunk: unknown, ...rest: unknown[]): boolean {
      if (closed.has(name)) {
        // Nobody reads this stream any more. A caller waiting for the write's callback is still answered.
        const callback = rest.find((arg): arg is () => void => typeof arg === 'function');
        if (callback) process.nextTick(callback);
        return true;
      }
      const text =
        typeof chunk === 'string'
          ? chunk
          : chunk instanceof Uint8Array
            ? Buffer.from(chunk).toString('utf8')
            : undefined;
      const masked = text === undefined || !masker ? chunk : masker.mask(text);
      return original.call(this, masked, ...rest);
    };
    const onError = (error: NodeJS.ErrnoException) => {
      if (closed.has(name)) return;
      closed.add(name);
      for (const listener of listeners) listener(name, error.code ?? 'ERR');
    };
    stream.write = guarded as typeof stream.write;
    ignoreErrorsForGood(stream);
    stream.on('error', onError);
    return () => {
      stream.write = original as typeof stream.write;
      stream.off('error', onError);
    };
  });

  return {
    useMasker(next) {
      masker = next;
    },
    onClosed(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    isClosed: (stream) => closed.has(stream),
    restore() {
      for (const restore of restorers) restore();
    },
  };
}
