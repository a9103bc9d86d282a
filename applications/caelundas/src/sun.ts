/**
 * Sunrise and sunset by the algorithm of NOAA's Solar Calculator (https://gml.noaa.gov/grad/solcalc/, after Jean
 * Meeus, "Astronomical Algorithms"). NOAA gives it as good to about a minute within ±72° of latitude; nearer the
 * poles the Sun grazes the horizon and any small error in its height moves the time a lot.
 */

/** The Sun's centre 0.833° below the horizon: 34′ of refraction plus 16′ for the upper edge of its disc. */
const SUNRISE_ZENITH_DEG = 90.833;
const MS_PER_DAY = 86_400_000;
const MS_PER_MINUTE = 60_000;
const JULIAN_DAY_OF_UNIX_EPOCH = 2_440_587.5;
const J2000 = 2_451_545;

export type SunDay =
  | { kind: 'rise-and-set'; sunrise: Date; sunset: Date }
  /** The Sun stays above the horizon all day (midnight sun). */
  | { kind: 'polar-day' }
  /** The Sun stays below the horizon all day (polar night). */
  | { kind: 'polar-night' };

/**
 * The Sun's day at a place: `dayStartMs` is 00:00 UTC of the calendar date, longitude is east-positive. The times
 * belong to the local solar day of that date, so east of about 90°E sunrise can fall on the previous UTC date.
 */
export function sunDay(dayStartMs: number, latitudeDeg: number, longitudeDeg: number): SunDay {
  const noonMinutes =
    720 - 4 * longitudeDeg - solarPosition(dayStartMs + (720 - 4 * longitudeDeg) * MS_PER_MINUTE).equationOfTimeMin;
  const atNoon = solarPosition(dayStartMs + noonMinutes * MS_PER_MINUTE);
  const cosHourAngle = sunriseCosHourAngle(latitudeDeg, atNoon.declinationDeg);
  if (cosHourAngle >= 1) return { kind: 'polar-night' };
  if (cosHourAngle <= -1) return { kind: 'polar-day' };
  return {
    kind: 'rise-and-set',
    sunrise: new Date(
      dayStartMs + horizonCrossingMinutes(dayStartMs, noonMinutes, latitudeDeg, longitudeDeg, -1) * MS_PER_MINUTE,
    ),
    sunset: new Date(
      dayStartMs + horizonCrossingMinutes(dayStartMs, noonMinutes, latitudeDeg, longitudeDeg, 1) * MS_PER_MINUTE,
    ),
  };
}

/**
 * Minutes after 00:00 UTC when the Sun crosses the horizon (direction -1 rising, +1 setting). The Sun's position
 * changes during the morning, so it is computed again at the first estimate, as NOAA's calculator does.
 */
function horizonCrossingMinutes(
  dayStartMs: number,
  estimateMinutes: number,
  latitudeDeg: number,
  longitudeDeg: number,
  direction: -1 | 1,
): number {
  let minutes = estimateMinutes;
  for (let pass = 0; pass < 2; pass++) {
    const sun = solarPosition(dayStartMs + minutes * MS_PER_MINUTE);
    const cosHourAngle = sunriseCosHourAngle(latitudeDeg, sun.declinationDeg);
    // On the last days before polar day or night the Sun may not cross at the refined moment: keep the estimate.
    if (Math.abs(cosHourAngle) >= 1) break;
    const hourAngleDeg = degrees(Math.acos(cosHourAngle));
    minutes = 720 - 4 * (longitudeDeg - direction * hourAngleDeg) - sun.equationOfTimeMin;
  }
  return minutes;
}

/** cos of the hour angle at sunrise; ≥ 1 means the Sun never rises that day, ≤ -1 that it never sets. */
function sunriseCosHourAngle(latitudeDeg: number, declinationDeg: number): number {
  const lat = radians(latitudeDeg);
  const dec = radians(declinationDeg);
  const numerator = Math.cos(radians(SUNRISE_ZENITH_DEG)) - Math.sin(lat) * Math.sin(dec);
  const denominator = Math.cos(lat) * Math.cos(dec);
  // At the poles the denominator is 0: compare instead of dividing, so the answer is ±1 rather than Infinity or NaN.
  if (numerator >= denominator) return 1;
  if (numerator <= -denominator) return -1;
  return numerator / denominator;
}

/** The Sun's declination and the equation of time at an instant (NOAA's spreadsheet formulas). */
export function solarPosition(utcMs: number): { declinationDeg: number; equationOfTimeMin: number } {
  const t = (utcMs / MS_PER_DAY + JULIAN_DAY_OF_UNIX_EPOCH - J2000) / 36_525;
  const meanLongitude = radians((280.46646 + t * (36_000.76983 + t * 0.0003032)) % 360);
  const meanAnomaly = radians(357.52911 + t * (35_999.05029 - 0.0001537 * t));
  const eccentricity = 0.016708634 - t * (0.000042037 + 0.0000001267 * t);
  const centre =
    Math.sin(meanAnomaly) * (1.914602 - t * (0.004817 + 0.000014 * t)) +
    Math.sin(2 * meanAnomaly) * (0.019993 - 0.000101 * t) +
    Math.sin(3 * meanAnomaly) * 0.000289;
  const omega = radians(125.04 - 1934.136 * t);
  const apparentLongitude = radians(degrees(meanLongitude) + centre - 0.00569 - 0.00478 * Math.sin(omega));
  const meanObliquity = 23 + (26 + (21.448 - t * (46.815 + t * (0.00059 - t * 0.001813))) / 60) / 60;
  const obliquity = radians(meanObliquity + 0.00256 * Math.cos(omega));

  const declination = Math.asin(Math.sin(obliquity) * Math.sin(apparentLongitude));
  const y = Math.tan(obliquity / 2) ** 2;
  const equationOfTime =
    y * Math.sin(2 * meanLongitude) -
    2 * eccentricity * Math.sin(meanAnomaly) +
    4 * eccentricity * y * Math.sin(meanAnomaly) * Math.cos(2 * meanLongitude) -
    0.5 * y * y * Math.sin(4 * meanLongitude) -
    1.25 * eccentricity * eccentricity * Math.sin(2 * meanAnomaly);
  return { declinationDeg: degrees(declination), equationOfTimeMin: 4 * degrees(equationOfTime) };
}

function radians(deg: number): number {
  return (deg * Math.PI) / 180;
}

function degrees(rad: number): number {
  return (rad * 180) / Math.PI;
}
