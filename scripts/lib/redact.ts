/**
 * Secret masking. Every value registered here is replaced with `***` wherever deckhand prints text: command echo,
 * error messages, Listr task output, a child's streamed stdout/stderr, and (as a last net) anything written to
 * process.stdout/stderr once the process output guard (process-output.ts) is installed.
 *
 * A secret can also appear encoded: `kubectl get secret -o yaml` shows it base64-encoded, JSON output escapes quotes,
 * and a registry pull secret nests it twice — base64 of a JSON document whose `auth` field is base64 of
 * `user:token`. Those encodings are registered alongside the raw value (see encodedForms).
 */

export const MASK = '***';

/**
 * Values shorter than this are not masked: masking "1" or "52" would make every number in the output unreadable,
 * and a value that short is not a credential. Tokens and passwords are far longer.
 */
export const MIN_MASKED_LENGTH = 4;

/**
 * Base64 of a secret embedded in a longer text (`user:token`, a JSON document) depends on where the secret starts
 * modulo 3; only its middle is the same wherever it sits. Those middles are shorter than the secret's own base64, so
 * they are registered only when this long, to keep an unrelated run of base64 from matching by chance.
 */
const MIN_EMBEDDED_LENGTH = 8;

export class SecretMasker {
  private readonly values = new Set<string>();
  private readonly secrets = new Set<string>();
  private pattern: RegExp | undefined;

  /** Registers a secret value (and its encoded forms). Safe to call repeatedly with the same value. */
  add(value: string | undefined | null): void {
    if (!value) return;
    this.secrets.add(value);
    for (const form of encodedForms(value)) {
      if (form.length >= MIN_MASKED_LENGTH) this.values.add(form);
    }
    this.pattern = undefined;
  }

  /** True when exactly this value was registered as a secret (the runner withholds such variables from children). */
  isSecret(value: string): boolean {
    return this.secrets.has(value);
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
  const base64 = Buffer.from(value, 'utf8').toString('base64');
  const embedded = embeddedBase64(Buffer.from(value, 'utf8'));
  // Twice encoded: the base64 of a text that holds the secret's base64 (a pull secret's `auth` inside its JSON).
  const nested = [base64, ...embedded].flatMap((form) => embeddedBase64(Buffer.from(form, 'latin1')));
  const forms = [value, base64, ...embedded, ...nested, JSON.stringify(value).slice(1, -1)];
  const uriEncoded = encodeURIComponent(value);
  if (uriEncoded !== value) forms.push(uriEncoded);
  // Each line of a multi-line secret (a PEM key, a kubeconfig) is masked on its own too, since output is often
  // re-wrapped or printed line by line.
  if (value.includes('\n')) forms.push(...value.split(/\r?\n/).map((line) => line.trim()));
  return forms;
}

/**
 * The parts of base64 that encode only the secret's own bytes, for each of the three places it can start in a longer
 * text: base64 works in groups of 3 bytes, so dropping 0, 1 or 2 leading bytes and any incomplete last group gives
 * exactly the characters that do not depend on the surrounding text.
 */
function embeddedBase64(bytes: Buffer): string[] {
  const forms: string[] = [];
  for (let skip = 0; skip < 3; skip++) {
    const whole = Math.floor((bytes.length - skip) / 3) * 3;
    if (whole <= 0) continue;
    const form = bytes.subarray(skip, skip + whole).toString('base64');
    if (form.length >= MIN_EMBEDDED_LENGTH) forms.push(form);
  }
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
