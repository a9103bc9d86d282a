/**
 * caelundas: writes an astronomical calendar (.ics) for START_DATE..END_DATE at LATITUDE/LONGITUDE into OUTPUT_DIR.
 * Exit codes: 0 done, 1 the calendar could not be written, 2 bad settings (retrying cannot help).
 */
import { readFileSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { readConfig, type Config } from './config.ts';
import { astronomicalEvents } from './events.ts';
import { renderCalendar } from './ics.ts';

const EXIT_WRITE_FAILED = 1;
const EXIT_BAD_SETTINGS = 2;

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

// In a container Node is PID 1, and the kernel gives PID 1 no default action for SIGTERM: without a handler, a Job
// stopped at its deadline would hang for the whole grace period before being killed.
process.once('SIGTERM', () => {
  console.error('caelundas: stopped (SIGTERM) before the calendar was finished.');
  process.exit(143);
});

async function main(): Promise<void> {
  const result = readConfig(process.env);
  if (!result.ok) {
    for (const error of result.errors) console.error(`caelundas: ${error}`);
    console.error(
      'caelundas: nothing was written. Fix the settings above (the Secret <release>-inputs of this run, or .env.caelundas) and run again.',
    );
    process.exitCode = EXIT_BAD_SETTINGS;
    return;
  }
  try {
    await writeCalendar(result.config);
  } catch (error) {
    console.error(`caelundas: could not write the calendar: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = EXIT_WRITE_FAILED;
  }
}

async function writeCalendar(config: Config): Promise<void> {
  const startedMs = Date.now();
  const days = Math.round((Date.parse(config.endDate) - Date.parse(config.startDate)) / 86_400_000) + 1;
  // The place is deliberately left out of every log line: coordinates point at someone's home.
  console.log(
    `caelundas ${version}: calendar from ${config.startDate} to ${config.endDate} (${days} day${days === 1 ? '' : 's'}) for the configured place`,
  );

  const { events, moonPhases } = astronomicalEvents(config, {
    monthDone: (month, daysInMonth) =>
      console.log(`Sun: ${month} done (${daysInMonth} day${daysInMonth === 1 ? '' : 's'})`),
  });
  console.log(`Moon: ${moonPhases} phase${moonPhases === 1 ? '' : 's'}`);

  const ics = renderCalendar({
    productId: `-//deckhand//caelundas ${version}//EN`,
    name: `caelundas ${config.startDate} to ${config.endDate}`,
    stamp: new Date(startedMs),
    events,
  });
  const file = path.join(config.outputDir, `caelundas-${config.startDate}-to-${config.endDate}.ics`);
  await mkdir(config.outputDir, { recursive: true });
  // Written beside the target and renamed into place, so a run stopped half-way never leaves half a calendar to copy.
  const partial = `${file}.partial`;
  try {
    await writeFile(partial, ics, 'utf8');
    await rename(partial, file);
  } catch (error) {
    await rm(partial, { force: true });
    throw error;
  }
  console.log(
    `Wrote ${file}: ${events.length} events, ${Buffer.byteLength(ics)} bytes, in ${((Date.now() - startedMs) / 1000).toFixed(1)} s`,
  );
}

await main();
