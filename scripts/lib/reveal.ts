/**
 * The one way deckhand prints a secret on purpose: a token the user asked for (`dashboard token`), a password shown
 * with `--show-password`. Everything else passes the SecretMasker — the process-wide guard masks whatever is written
 * to process.stdout/stderr — so this writes to the file descriptor directly, around the guard. The secret stays
 * registered with the masker, so any other line that would carry it (an error, --verbose) still shows `***`.
 */
import { writeSync } from 'node:fs';

/** Writes `text` and a newline to fd 1 (stdout) or 2 (stderr), unmasked. */
export function revealLine(fd: 1 | 2, text: string): void {
  const bytes = Buffer.from(`${text}\n`, 'utf8');
  let written = 0;
  // A pipe may take fewer bytes than offered, or none for a moment when it is full (libuv makes pipes non-blocking).
  while (written < bytes.length) {
    try {
      written += writeSync(fd, bytes, written);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
    }
  }
}
