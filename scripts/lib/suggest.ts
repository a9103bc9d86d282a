/** "Did you mean …?" for mistyped commands, flags and names. */

/** The candidate closest to `input` by edit distance, if it is close enough to be a plausible typo. */
export function closestMatch(input: string, candidates: readonly string[]): string | undefined {
  let best: { candidate: string; distance: number } | undefined;
  for (const candidate of candidates) {
    const distance = editDistance(input.toLowerCase(), candidate.toLowerCase());
    if (!best || distance < best.distance) best = { candidate, distance };
  }
  if (!best) return undefined;
  // A prefix ("dep" for "deploy") or up to a third of the letters wrong counts as a typo.
  const tolerance = Math.max(2, Math.floor(best.candidate.length / 3));
  if (best.candidate.toLowerCase().startsWith(input.toLowerCase()) && input.length >= 2) return best.candidate;
  return best.distance <= tolerance ? best.candidate : undefined;
}

/** Damerau–Levenshtein distance (optimal string alignment): a swapped pair of letters counts as one edit. */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) =>
    Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let value = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        value = Math.min(value, d[i - 2]![j - 2]! + 1);
      d[i]![j] = value;
    }
  }
  return d[a.length]![b.length]!;
}

/**
 * The known key a misspelt env-file key stands for: the same letters in another case, or one or two letters off
 * (IMAGE_OWENR, LONGTITUDE). Stricter than closestMatch — no prefixes, fewer edits for short keys — because any
 * other key in an env file may be the user's own, for another program.
 */
export function closestKey(key: string, known: readonly string[]): string | undefined {
  if (known.includes(key)) return undefined;
  const tolerance = key.length <= 4 ? 0 : key.length <= 8 ? 1 : 2;
  let best: { candidate: string; distance: number } | undefined;
  for (const candidate of known) {
    const distance = editDistance(key.toUpperCase(), candidate.toUpperCase());
    if (distance <= tolerance && (!best || distance < best.distance)) best = { candidate, distance };
  }
  return best?.candidate;
}
