/**
 * Loud gaps. Every request the simulator cannot answer faithfully, and every internal error, lands here and on stderr
 * with a `[kube-sim] GAP` prefix, so a test fails with a message instead of a silent `--wait` timeout.
 */
import type { Gap, RequestRecord } from './types.ts';

export class GapRecorder {
  readonly gaps: Gap[] = [];
  readonly requests: RequestRecord[] = [];
  private readonly quiet: boolean;

  constructor(quiet = false) {
    this.quiet = quiet;
  }

  record(method: string, path: string, reason: string): void {
    this.gaps.push({ method, path, reason });
    if (!this.quiet) process.stderr.write(`[kube-sim] GAP ${method} ${path}: ${reason}\n`);
  }
}
