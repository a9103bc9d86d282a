/**
 * A gate in front of the real helm and kubectl: wrappers first on PATH that hold exactly one command — the one whose
 * `program args` match the shell pattern in DECKHAND_TEST_GATE — and run every other command as it is. A held
 * command marks that it was reached and then sleeps until deckhand stops it, so a test presses Ctrl-C exactly while
 * a given step runs, knowing it got there (no sleeps, no timing luck). The real programs still do all the work.
 */
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface Gate {
  /** Put first on PATH. */
  binDir: string;
  /** Environment that holds the commands matching `pattern` (e.g. 'helm upgrade --install *'). */
  env(pattern: string): Record<string, string>;
  /** Environment that runs the commands matching `pattern`, then holds them before they return. */
  envAfter(pattern: string): Record<string, string>;
  /** Resolves once a held command has started; rejects after `timeoutMs`. */
  reached(timeoutMs?: number): Promise<void>;
}

export function installGate(dir: string, programs: Record<string, string>): Gate {
  const binDir = path.join(dir, 'gate-bin');
  const marker = path.join(dir, 'gate-reached');
  mkdirSync(binDir, { recursive: true });
  for (const [name, real] of Object.entries(programs)) {
    const wrapper = path.join(binDir, name);
    writeFileSync(
      wrapper,
      [
        '#!/bin/sh',
        `case "${name} $*" in`,
        '  $DECKHAND_TEST_GATE) : > "$DECKHAND_TEST_GATE_REACHED"; exec sleep 600 ;;',
        'esac',
        // Held once the real command has done its work (helm has stored the release), before deckhand hears back.
        `case "${name} $*" in`,
        `  $DECKHAND_TEST_GATE_AFTER) '${real}' "$@"; : > "$DECKHAND_TEST_GATE_REACHED"; exec sleep 600 ;;`,
        'esac',
        `exec '${real}' "$@"`,
        '',
      ].join('\n'),
    );
    chmodSync(wrapper, 0o755);
  }
  let round = 0;
  let current = '';
  return {
    binDir,
    env(pattern) {
      current = `${marker}-${++round}`;
      return { DECKHAND_TEST_GATE: pattern, DECKHAND_TEST_GATE_REACHED: current };
    },
    envAfter(pattern) {
      current = `${marker}-${++round}`;
      return { DECKHAND_TEST_GATE: '', DECKHAND_TEST_GATE_AFTER: pattern, DECKHAND_TEST_GATE_REACHED: current };
    },
    async reached(timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      while (!existsSync(current)) {
        if (Date.now() > deadline) throw new Error(`the gated command was never reached (${current})`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
  };
}
