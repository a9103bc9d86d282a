/**
 * A real run's first reads of the cluster — is it there (`kubectl version`), and its namespace and Secrets (one GET
 * each) — started beside the local prerequisite checks, so the round trips to a remote API do not hold anything up.
 * The step that prepares the namespace awaits them; a run that fails before that stops them.
 */
import * as kubectl from '../../kubectl.ts';
import type { Runner } from '../../lib/shell.ts';
import type { KubeTarget } from '../../lib/target.ts';
import { readLiveState, type LiveState } from './namespace.ts';

export interface ClusterReads {
  /** Settled, never rejected: whoever awaits decides which failure to report. */
  settled: Promise<{ version: PromiseSettledResult<string>; state: PromiseSettledResult<LiveState> }>;
  /** The reads' echo lines (--verbose), kept until the step that uses the reads shows them. */
  lines: string[];
  /** Ends reads still running (a run that failed before it needed them must not wait for them). */
  stop(): void;
}

export function startClusterReads(shell: Runner, target: KubeTarget, secretNames: readonly string[]): ClusterReads {
  const lines: string[] = [];
  const stopper = new AbortController();
  const reader = shell.withLog((line) => lines.push(line)).withStopSignal(stopper.signal);
  const settled = Promise.allSettled([
    kubectl.serverVersion(reader, target),
    readLiveState(reader, target, target.namespace, secretNames),
  ]).then(([version, state]) => ({ version, state }));
  return { settled, lines, stop: () => stopper.abort() };
}
