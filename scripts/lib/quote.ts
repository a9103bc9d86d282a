/**
 * How a command is shown to people (dry-run, --verbose, errors, hints): POSIX single quotes where needed, so it can be
 * copied into a shell. Execution never uses this text; the runner passes each argv element as it is.
 */
export function displayQuote(arg: string): string {
  // A leading ~/ is left for the shell to expand: in a command shown to a person it means their home folder.
  if (arg !== '' && /^(~\/)?[\w@%+=:,./-]+$/.test(arg)) return arg;
  if (/[\n\r\t]/.test(arg)) {
    const escaped = arg
      .replace(/\\/g, '\\\\')
      .replace(/'/g, "\\'")
      .replace(/\n/g, '\\n')
      .replace(/\r/g, '\\r')
      .replace(/\t/g, '\\t');
    return `$'${escaped}'`;
  }
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** An argv as one line a person can paste into a shell. */
export function displayCommand(argv: readonly string[]): string {
  return argv.map(displayQuote).join(' ');
}
