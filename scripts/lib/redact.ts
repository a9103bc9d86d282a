/**
 * Secret masking. Every value registered here is replaced with `***` wherever deckhand prints text: command echo,
 * error messages, Listr task output, a child's streamed stdout/stderr, and (as a last net) anything written to
 * process.stdout/stderr once `guardProcessOutput` is installed.
 *
 * A secret can also appear encoded: `kubectl get secret -o yaml` shows it base64-encoded, JSON output escapes quotes.
 * Those encodings are registered alongside the raw value.
 */

export const MASK = '***';

/**
 * Values shorter than this are not masked: masking "1" or "52" would make every number in the output unreadable,
 * and a value that short is not a credential. Tokens and passwords are far longer.
 */
export const MIN_MASKED_LENGTH = 4;

export class SecretMasker {
  private readonly values = new Set<string>();
  private pattern: RegExp | undefined;

  /** Registers a secret value (and its encoded forms). Safe to call repeatedly with the same value. */
  add(value: string | undefined | null): void {
    if (!value) return;
    for (const form of encodedForms(value)) {
      if (form.length >= MIN_MASKED_LENGTH) this.values.add(form);
    }
    this.pattern = undefined;
  }

  get size(): number {
    return this.values.size;
  }

  mask(text: string): string {
    if (this.values.size === 0 || text.length === 0) return text;
    this.pattern ??= buildPattern(this.values);
    return text.replace(this.pattern, MASK);
  }

  /**
   * A writer for streamed output. A secret may be split across two chunks of a child's output, so text is held back
   * until a newline arrives and masked line by line; `flush` emits the remainder.
   */
  lineWriter(emit: (line: string) => void): { write(chunk: string | Uint8Array): void; flush(): void } {
    let pending = '';
    const decoder = new TextDecoder();
    return {
      write: (chunk) => {
        pending += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
        let newline = pending.indexOf('\n');
        while (newline !== -1) {
          emit(this.mask(pending.slice(0, newline).replace(/\r$/, '')));
          pending = pending.slice(newline + 1);
          newline = pending.indexOf('\n');
        }
      },
      flush: () => {
        pending += decoder.decode();
        if (pending.length > 0) emit(this.mask(pending));
        pending = '';
      },
    };
  }
}

function encodedForms(value: string): string[] {
  const forms = [value, Buffer.from(value, 'utf8').toString('base64'), JSON.stringify(value).slice(1, -1)];
  const uriEncoded = encodeURIComponent(value);
  if (uriEncoded !== value) forms.push(uriEncoded);
  // Each line of a multi-line secret (a PEM key, a kubeconfig) is masked on its own too, since output is often
  // re-wrapped or printed line by line.
  if (value.includes('\n')) forms.push(...value.split(/\r?\n/).map((line) => line.trim()));
  return forms;
}

function buildPattern(values: Set<string>): RegExp {
  // Longest first, so a secret that contains another registered secret is masked whole.
  const sorted = [...values].sort((a, b) => b.length - a.length);
  return new RegExp(sorted.map(escapeRegExp).join('|'), 'g');
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Masks everything this process writes to stdout and stderr, including output of libraries we do not control
 * (Listr renderers, prompt libraries, Node's own warnings). Returns a function that restores the original writers.
 */
export function guardProcessOutput(masker: SecretMasker): () => void {
  const restorers = [process.stdout, process.stderr].map((stream) => {
    const original = stream.write;
    const guarded = function (this: NodeJS.WriteStream, chunk: unknown, ...rest: unknown[]): boolean {
      const text =
        typeof chunk === 'string'
          ? chunk
          : chunk instanceof Uint8Array
            ? Buffer.from(chunk).toString('utf8')
            : undefined;
      const masked = text === undefined ? chunk : masker.mask(text);
      return (original as (...args: unknown[]) => boolean).call(this, masked, ...rest);
    };
    stream.write = guarded as typeof stream.write;
    return () => {
      stream.write = original;
    };
  });
  return () => restorers.forEach((restore) => restore());
}
