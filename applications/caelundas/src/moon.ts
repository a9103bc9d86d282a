/**
 * The instants of the Moon's four principal phases, by Jean Meeus, "Astronomical Algorithms" (2nd ed.), chapter 49:
 * a mean phase corrected by periodic terms. Meeus gives the result as good to a few seconds against the full lunar
 * theory; the ΔT below adds at most about two minutes between 1900 and 2100.
 */

export type MoonPhase = 'new' | 'first-quarter' | 'full' | 'last-quarter';

export interface MoonPhaseEvent {
  phase: MoonPhase;
  at: Date;
}

const PHASES: ReadonlyArray<{ phase: MoonPhase; fraction: number }> = [
  { phase: 'new', fraction: 0 },
  { phase: 'first-quarter', fraction: 0.25 },
  { phase: 'full', fraction: 0.5 },
  { phase: 'last-quarter', fraction: 0.75 },
];

const MS_PER_DAY = 86_400_000;
const JULIAN_DAY_OF_UNIX_EPOCH = 2_440_587.5;
const J2000_MS = Date.UTC(2000, 0, 1, 12);
const LUNATIONS_PER_YEAR = 12.3685;
/**
 * Meeus's times are Terrestrial Time; clocks keep UT, which lags by ΔT. ΔT has stayed near 69 s since 2015 and was
 * about 0 s in 1900; a fixed value keeps this sample short at the cost of up to two minutes at the century's ends.
 */
const DELTA_T_SECONDS = 69;

/** Every principal phase whose instant is at or after `startMs` and before `endMs`, in time order. */
export function moonPhasesBetween(startMs: number, endMs: number): MoonPhaseEvent[] {
  const events: MoonPhaseEvent[] = [];
  const firstLunation = Math.floor(lunationsSinceJ2000(startMs)) - 1;
  const lastLunation = Math.ceil(lunationsSinceJ2000(endMs)) + 1;
  for (let k = firstLunation; k <= lastLunation; k++) {
    for (const { phase, fraction } of PHASES) {
      const atMs = phaseInstantMs(k + fraction, phase);
      if (atMs >= startMs && atMs < endMs) events.push({ phase, at: new Date(atMs) });
    }
  }
  return events.sort((a, b) => a.at.getTime() - b.at.getTime());
}

function lunationsSinceJ2000(ms: number): number {
  return ((ms - J2000_MS) / (365.25 * MS_PER_DAY)) * LUNATIONS_PER_YEAR;
}

/**
 * A periodic term: coefficient (days), power of E (the Earth's orbital eccentricity factor) and the multiples of
 * M (the Sun's mean anomaly), M′ (the Moon's), F (the Moon's argument of latitude) and Ω (its ascending node).
 */
type Term = readonly [coefficient: number, ePower: number, m: number, mPrime: number, f: number, omega: number];

const NEW_MOON_TERMS: readonly Term[] = [
  [-0.4072, 0, 0, 1, 0, 0],
  [0.17241, 1, 1, 0, 0, 0],
  [0.01608, 0, 0, 2, 0, 0],
  [0.01039, 0, 0, 0, 2, 0],
  [0.00739, 1, -1, 1, 0, 0],
  [-0.00514, 1, 1, 1, 0, 0],
  [0.00208, 2, 2, 0, 0, 0],
  [-0.00111, 0, 0, 1, -2, 0],
  [-0.00057, 0, 0, 1, 2, 0],
  [0.00056, 1, 1, 2, 0, 0],
  [-0.00042, 0, 0, 3, 0, 0],
  [0.00042, 1, 1, 0, 2, 0],
  [0.00038, 1, 1, 0, -2, 0],
  [-0.00024, 1, -1, 2, 0, 0],
  [-0.00017, 0, 0, 0, 0, 1],
  [-0.00007, 0, 2, 1, 0, 0],
  [0.00004, 0, 0, 2, -2, 0],
  [0.00004, 0, 3, 0, 0, 0],
  [0.00003, 0, 1, 1, -2, 0],
  [0.00003, 0, 0, 2, 2, 0],
  [-0.00003, 0, 1, 1, 2, 0],
  [0.00003, 0, -1, 1, 2, 0],
  [-0.00002, 0, -1, 1, -2, 0],
  [-0.00002, 0, 1, 3, 0, 0],
  [0.00002, 0, 0, 4, 0, 0],
];

const FULL_MOON_TERMS: readonly Term[] = [
  [-0.40614, 0, 0, 1, 0, 0],
  [0.17302, 1, 1, 0, 0, 0],
  [0.01614, 0, 0, 2, 0, 0],
  [0.01043, 0, 0, 0, 2, 0],
  [0.00734, 1, -1, 1, 0, 0],
  [-0.00515, 1, 1, 1, 0, 0],
  [0.00209, 2, 2, 0, 0, 0],
  [-0.00111, 0, 0, 1, -2, 0],
  [-0.00057, 0, 0, 1, 2, 0],
  [0.00056, 1, 1, 2, 0, 0],
  [-0.00042, 0, 0, 3, 0, 0],
  [0.00042, 1, 1, 0, 2, 0],
  [0.00038, 1, 1, 0, -2, 0],
  [-0.00024, 1, -1, 2, 0, 0],
  [-0.00017, 0, 0, 0, 0, 1],
  [-0.00007, 0, 2, 1, 0, 0],
  [0.00004, 0, 0, 2, -2, 0],
  [0.00004, 0, 3, 0, 0, 0],
  [0.00003, 0, 1, 1, -2, 0],
  [0.00003, 0, 0, 2, 2, 0],
  [-0.00003, 0, 1, 1, 2, 0],
  [0.00003, 0, -1, 1, 2, 0],
  [-0.00002, 0, -1, 1, -2, 0],
  [-0.00002, 0, 1, 3, 0, 0],
  [0.00002, 0, 0, 4, 0, 0],
];

const QUARTER_TERMS: readonly Term[] = [
  [-0.62801, 0, 0, 1, 0, 0],
  [0.17172, 1, 1, 0, 0, 0],
  [-0.01183, 1, 1, 1, 0, 0],
  [0.00862, 0, 0, 2, 0, 0],
  [0.00804, 0, 0, 0, 2, 0],
  [0.00454, 1, -1, 1, 0, 0],
  [0.00204, 2, 2, 0, 0, 0],
  [-0.0018, 0, 0, 1, -2, 0],
  [-0.0007, 0, 0, 1, 2, 0],
  [-0.0004, 0, 0, 3, 0, 0],
  [-0.00034, 1, -1, 2, 0, 0],
  [0.00032, 1, 1, 0, 2, 0],
  [0.00032, 1, 1, 0, -2, 0],
  [-0.00028, 2, 2, 1, 0, 0],
  [0.00027, 1, 1, 2, 0, 0],
  [-0.00017, 0, 0, 0, 0, 1],
  [-0.00005, 0, -1, 1, -2, 0],
  [0.00004, 0, 0, 2, 2, 0],
  [-0.00004, 0, 1, 1, 2, 0],
  [0.00004, 0, -2, 1, 0, 0],
  [0.00003, 0, 1, 1, -2, 0],
  [0.00003, 0, 3, 0, 0, 0],
  [0.00002, 0, 0, 2, -2, 0],
  [0.00002, 0, -1, 1, 2, 0],
  [-0.00002, 0, 1, 3, 0, 0],
];

/** The planetary arguments A1…A14: [constant, degrees per lunation, coefficient in days]. A1 also has a T² term. */
const PLANETARY_TERMS: ReadonlyArray<readonly [number, number, number]> = [
  [299.77, 0.107408, 0.000325],
  [251.88, 0.016321, 0.000165],
  [251.83, 26.651886, 0.000164],
  [349.42, 36.412478, 0.000126],
  [84.66, 18.206239, 0.00011],
  [141.74, 53.303771, 0.000062],
  [207.14, 2.453732, 0.00006],
  [154.84, 7.30686, 0.000056],
  [34.52, 27.261239, 0.000047],
  [207.19, 0.121824, 0.000042],
  [291.34, 1.844379, 0.00004],
  [161.72, 24.198154, 0.000037],
  [239.56, 25.513099, 0.000035],
  [331.55, 3.592518, 0.000023],
];

/** Unix milliseconds (UT) of the phase numbered k: an integer for new moons, +0.25, +0.5, +0.75 for the others. */
function phaseInstantMs(k: number, phase: MoonPhase): number {
  const t = k / 1236.85;
  let jde = 2_451_550.09766 + 29.530588861 * k + 0.00015437 * t ** 2 - 0.00000015 * t ** 3 + 0.00000000073 * t ** 4;

  const e = 1 - 0.002516 * t - 0.0000074 * t ** 2;
  const m = radians(2.5534 + 29.1053567 * k - 0.0000014 * t ** 2 - 0.00000011 * t ** 3);
  const mPrime = radians(201.5643 + 385.81693528 * k + 0.0107582 * t ** 2 + 0.00001238 * t ** 3 - 0.000000058 * t ** 4);
  const f = radians(160.7108 + 390.67050284 * k - 0.0016118 * t ** 2 - 0.00000227 * t ** 3 + 0.000000011 * t ** 4);
  const omega = radians(124.7746 - 1.56375588 * k + 0.0020672 * t ** 2 + 0.00000215 * t ** 3);

  const terms = phase === 'new' ? NEW_MOON_TERMS : phase === 'full' ? FULL_MOON_TERMS : QUARTER_TERMS;
  for (const [coefficient, ePower, mMultiple, mPrimeMultiple, fMultiple, omegaMultiple] of terms) {
    jde +=
      coefficient *
      e ** ePower *
      Math.sin(mMultiple * m + mPrimeMultiple * mPrime + fMultiple * f + omegaMultiple * omega);
  }
  if (phase === 'first-quarter' || phase === 'last-quarter') {
    const w =
      0.00306 -
      0.00038 * e * Math.cos(m) +
      0.00026 * Math.cos(mPrime) -
      0.00002 * Math.cos(mPrime - m) +
      0.00002 * Math.cos(mPrime + m) +
      0.00002 * Math.cos(2 * f);
    jde += phase === 'first-quarter' ? w : -w;
  }
  PLANETARY_TERMS.forEach(([constant, perLunation, coefficient], index) => {
    const argument = constant + perLunation * k + (index === 0 ? -0.009173 * t ** 2 : 0);
    jde += coefficient * Math.sin(radians(argument));
  });

  return (jde - JULIAN_DAY_OF_UNIX_EPOCH) * MS_PER_DAY - DELTA_T_SECONDS * 1000;
}

function radians(deg: number): number {
  return (deg * Math.PI) / 180;
}
