/**
 * The run's settings, from the environment (the Kubernetes Job fills it from its run's Secret, <release>-inputs).
 * Every problem is reported at once, so one fix-and-retry is enough.
 */

export interface Config {
  startDate: string;
  endDate: string;
  latitude: number;
  longitude: number;
  outputDir: string;
}

export type ConfigResult = { ok: true; config: Config } | { ok: false; errors: string[] };

const DEFAULT_OUTPUT_DIR = '/app/output';
/** The formulas in sun.ts and moon.ts (and the fixed ΔT) are good to a minute or two in this range. */
const FIRST_SUPPORTED_DATE = '1900-01-01';
const LAST_SUPPORTED_DATE = '2100-12-31';

export function readConfig(env: NodeJS.ProcessEnv): ConfigResult {
  const errors: string[] = [];
  const startDate = isoDate(env, 'START_DATE', errors);
  const endDate = isoDate(env, 'END_DATE', errors);
  if (startDate && endDate && endDate < startDate)
    errors.push(`END_DATE (${endDate}) is before START_DATE (${startDate}).`);
  const latitude = coordinate(env, 'LATITUDE', 90, errors);
  const longitude = coordinate(env, 'LONGITUDE', 180, errors);
  const outputDir = env.OUTPUT_DIR?.trim() || DEFAULT_OUTPUT_DIR;
  if (errors.length > 0 || !startDate || !endDate || latitude === undefined || longitude === undefined)
    return { ok: false, errors };
  return { ok: true, config: { startDate, endDate, latitude, longitude, outputDir } };
}

function isoDate(env: NodeJS.ProcessEnv, key: string, errors: string[]): string | undefined {
  const value = env[key]?.trim();
  if (!value) {
    errors.push(`${key} is not set: give a date as YYYY-MM-DD, e.g. ${key}=2026-01-01.`);
    return undefined;
  }
  // Date.parse accepts 2026-02-30 and rolls it over to March, so the date must also survive the round trip.
  const parsed = /^\d{4}-\d{2}-\d{2}$/.test(value) ? new Date(`${value}T00:00:00Z`) : undefined;
  if (!parsed || Number.isNaN(parsed.getTime()) || parsed.toISOString().slice(0, 10) !== value) {
    errors.push(`${key} must be a real date written YYYY-MM-DD (got "${value}").`);
    return undefined;
  }
  if (value < FIRST_SUPPORTED_DATE || value > LAST_SUPPORTED_DATE) {
    errors.push(`${key} must be between ${FIRST_SUPPORTED_DATE} and ${LAST_SUPPORTED_DATE} (got ${value}).`);
    return undefined;
  }
  return value;
}

/** Coordinates point at someone's home: an error names the setting and the rule, never the value. */
function coordinate(env: NodeJS.ProcessEnv, key: string, limit: number, errors: string[]): number | undefined {
  const value = env[key]?.trim();
  if (!value) {
    errors.push(`${key} is not set: give it in decimal degrees (north and east positive).`);
    return undefined;
  }
  const number = /^[+-]?(\d+(\.\d*)?|\.\d+)$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isFinite(number) || number < -limit || number > limit) {
    errors.push(
      `${key} must be a number of degrees from -${limit} to ${limit} (the value given is not shown: coordinates are private).`,
    );
    return undefined;
  }
  return number;
}
