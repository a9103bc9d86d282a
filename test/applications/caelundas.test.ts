/**
 * The caelundas sample, run as the Job runs it: `node src/main.ts` with its settings in the environment. Its calendar
 * is read back with ical.js (a real iCalendar parser) and its times are compared with published tables.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import ICAL from 'ical.js';
import { escapeText, foldLine } from '../../applications/caelundas/src/ics.ts';
import { tempDirs } from '../support/temp.ts';

const MAIN = path.resolve(import.meta.dirname, '../../applications/caelundas/src/main.ts');
const TWO_MINUTES_MS = 120_000;
const tempDir = tempDirs('caelundas');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  outputDir: string;
}

function runCaelundas(settings: Record<string, string>): Promise<Run> {
  const outputDir = settings.OUTPUT_DIR ?? tempDir();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN], {
      env: { PATH: process.env.PATH, OUTPUT_DIR: outputDir, ...settings },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr, outputDir }));
  });
}

function calendarText(run: Run): string {
  assert.equal(run.code, 0, `caelundas failed:\n${run.stderr}`);
  const files = readdirSync(run.outputDir);
  assert.deepEqual(
    files.filter((file) => file.endsWith('.ics')).length,
    1,
    `one .ics file expected, found ${files.join(', ')}`,
  );
  return readFileSync(
    path.join(
      run.outputDir,
      files.find((file) => file.endsWith('.ics'))!,
    ),
    'utf8',
  );
}

function events(ics: string): ICAL.Event[] {
  return new ICAL.Component(ICAL.parse(ics)).getAllSubcomponents('vevent').map((vevent) => new ICAL.Event(vevent));
}

function startsOf(all: ICAL.Event[], summary: string): Date[] {
  return all.filter((event) => event.summary.endsWith(summary)).map((event) => event.startDate.toJSDate());
}

function assertNear(actual: Date | undefined, expectedIso: string, label: string): void {
  assert.ok(actual, `${label}: no such event`);
  const offMs = Math.abs(actual.getTime() - Date.parse(expectedIso));
  assert.ok(
    offMs <= TWO_MINUTES_MS,
    `${label}: ${actual.toISOString()} is ${Math.round(offMs / 1000)} s from the published ${expectedIso}`,
  );
}

const NEW_YORK = { LATITUDE: '40.7128', LONGITUDE: '-74.0060' };

describe('caelundas: a year in New York', () => {
  let run: Run;
  let ics: string;
  let all: ICAL.Event[];
  let startedMs: number;
  before(async () => {
    startedMs = Date.now();
    run = await runCaelundas({ START_DATE: '2015-01-01', END_DATE: '2015-12-31', ...NEW_YORK });
    ics = calendarText(run);
    all = events(ics);
  });

  it('writes one sunrise and one sunset a day and the 49 principal moon phases of 2015', () => {
    // The published 2015 table (see below) has 12 new moons, 12 first quarters, 13 full moons and 12 last quarters.
    assert.equal(startsOf(all, 'Sunrise').length, 365);
    assert.equal(startsOf(all, 'Sunset').length, 365);
    assert.deepEqual(
      ['New Moon', 'First quarter', 'Full Moon', 'Last quarter'].map((phase) => startsOf(all, phase).length),
      [12, 12, 13, 12],
    );
    assert.equal(all.length, 365 * 2 + 49);
  });

  it('puts the moon phases within two minutes of the published times (space.com 2015 lunar calendar, UT)', () => {
    const full = startsOf(all, 'Full Moon');
    assertNear(
      full.find((at) => at.getUTCMonth() === 2),
      '2015-03-05T18:06Z',
      'full moon of March',
    );
    assertNear(
      full.find((at) => at.getUTCMonth() === 8),
      '2015-09-28T02:50Z',
      'full moon of the September eclipse',
    );
    assertNear(
      full.find((at) => at.getUTCMonth() === 11),
      '2015-12-25T11:11Z',
      'Christmas full moon',
    );
    assertNear(startsOf(all, 'New Moon')[0], '2015-01-20T13:14Z', 'first new moon');
    assertNear(
      startsOf(all, 'First quarter').find((at) => at.getUTCMonth() === 6),
      '2015-07-24T04:04Z',
      'first quarter of July',
    );
    assertNear(
      startsOf(all, 'Last quarter').find((at) => at.getUTCMonth() === 10),
      '2015-11-03T12:24Z',
      'last quarter of November',
    );
  });

  it('writes valid iCalendar framing: CRLF line ends, lines of at most 75 octets, folded without splitting a character', () => {
    assert.ok(ics.endsWith('\r\n'));
    assert.doesNotMatch(ics, /[^\r]\n/, 'a line ends in a bare LF');
    const lines = ics.slice(0, -2).split('\r\n');
    for (const line of lines) {
      const bytes = Buffer.from(line, 'utf8');
      assert.ok(bytes.length <= 75, `line of ${bytes.length} octets: ${line}`);
    }
    // The moon phases' descriptions are longer than one line, so folding is exercised by the real output.
    assert.ok(
      lines.some((line) => line.startsWith(' ')),
      'no folded line',
    );
    const description = all.find((event) => event.summary.endsWith('Full Moon'))?.description ?? '';
    assert.match(
      description,
      /^The Moon is opposite the Sun and fully lit; it rises near sunset and sets near sunrise\. Exact time: \d\d:\d\d UTC\.$/,
    );
    // Commas are escaped in the file and come back unescaped from the parser.
    assert.match(ics, /Daylight today: 9 h 1\d min\\, until sunset/);
    assert.match(all[0]?.description ?? '', /^Daylight today: 9 h 1\d min, until sunset at \d\d:\d\d UTC\.$/);
  });

  it('gives every event a unique UID, a UTC DTSTAMP from this run and a UTC start time', () => {
    const uids = new Set(all.map((event) => event.uid));
    assert.equal(uids.size, all.length);
    const calendar = new ICAL.Component(ICAL.parse(ics));
    assert.equal(calendar.getFirstPropertyValue('version'), '2.0');
    assert.match(String(calendar.getFirstPropertyValue('prodid')), /caelundas 1\.0\.0/);
    for (const event of all) {
      const stamp = event.component.getFirstPropertyValue('dtstamp') as ICAL.Time;
      assert.equal(stamp.zone, ICAL.Timezone.utcTimezone);
      const stampMs = stamp.toJSDate().getTime();
      assert.ok(
        stampMs >= Math.floor(startedMs / 1000) * 1000 && stampMs <= Date.now(),
        `DTSTAMP ${stamp.toString()} is not from this run`,
      );
      assert.equal(event.startDate.zone, ICAL.Timezone.utcTimezone, `${event.summary} does not start in UTC`);
    }
  });

  it('logs its progress month by month and never the coordinates, which stay out of the calendar too', () => {
    assert.match(run.stdout, /calendar from 2015-01-01 to 2015-12-31 \(365 days\)/);
    assert.equal(run.stdout.match(/^Sun: 2015-\d\d done/gm)?.length, 12);
    assert.match(run.stdout, /^Moon: 49 phases$/m);
    assert.match(run.stdout, /Wrote .*caelundas-2015-01-01-to-2015-12-31\.ics: 779 events/);
    for (const text of [run.stdout, run.stderr, ics]) {
      for (const fragment of ['40.7128', '40.71', '74.006', '74.01'])
        assert.ok(!text.includes(fragment), `"${fragment}" appears`);
    }
  });
});

describe('caelundas: sunrise and sunset against published tables', () => {
  it('matches the sunrise table of Astronomy Answers (aa.quae.nl) for 1 January 2002 at longitude 0', async () => {
    // Table 1 of "The Position of the Sun: Tables" gives local mean time, which is UT at longitude 0.
    const published: Array<[latitude: string, sunrise: string]> = [
      ['-64', '01:43'],
      ['-60', '02:43'],
      ['-40', '04:35'],
      ['0', '06:00'],
      ['24', '06:43'],
      ['40', '07:22'],
      ['50', '07:59'],
    ];
    for (const [latitude, sunrise] of published) {
      const all = events(
        calendarText(
          await runCaelundas({ START_DATE: '2002-01-01', END_DATE: '2002-01-01', LATITUDE: latitude, LONGITUDE: '0' }),
        ),
      );
      assertNear(startsOf(all, 'Sunrise')[0], `2002-01-01T${sunrise}Z`, `sunrise at latitude ${latitude}`);
    }
  });

  it('matches published London times (51.51° N, 0.13° W) on 1 January and 1 July', async () => {
    // whattime.city/london/sun: 08:07 and 16:01 GMT on 1 January, 04:47 and 21:22 BST (UTC+1) on 1 July.
    const all = events(
      calendarText(
        await runCaelundas({ START_DATE: '2026-01-01', END_DATE: '2026-07-01', LATITUDE: '51.51', LONGITUDE: '-0.13' }),
      ),
    );
    const sunrises = startsOf(all, 'Sunrise');
    const sunsets = startsOf(all, 'Sunset');
    assertNear(sunrises[0], '2026-01-01T08:07Z', 'sunrise on 1 January');
    assertNear(sunsets[0], '2026-01-01T16:01Z', 'sunset on 1 January');
    assertNear(sunrises.at(-1), '2026-07-01T03:47Z', 'sunrise on 1 July');
    assertNear(sunsets.at(-1), '2026-07-01T20:22Z', 'sunset on 1 July');
  });

  it('writes an all-day "Polar night" or "Midnight sun" event, and no sunrise or sunset, when the Sun stays down or up', async () => {
    const cases = [
      {
        place: 'Tromsø in December',
        settings: { LATITUDE: '69.6492', LONGITUDE: '18.9553' },
        date: '2026-12-21',
        summary: 'Polar night',
      },
      {
        place: 'Tromsø in June',
        settings: { LATITUDE: '69.6492', LONGITUDE: '18.9553' },
        date: '2026-06-21',
        summary: 'Midnight sun',
      },
      {
        place: 'the Ross Sea in December',
        settings: { LATITUDE: '-75', LONGITUDE: '170' },
        date: '2026-12-21',
        summary: 'Midnight sun',
      },
      {
        place: 'the North Pole in June',
        settings: { LATITUDE: '90', LONGITUDE: '0' },
        date: '2026-06-21',
        summary: 'Midnight sun',
      },
    ];
    for (const { place, settings, date, summary } of cases) {
      const sunEvents = events(
        calendarText(await runCaelundas({ START_DATE: date, END_DATE: date, ...settings })),
      ).filter((event) => !/Moon|quarter/.test(event.summary));
      assert.deepEqual(
        sunEvents.map((event) => event.summary.replace(/^\S+ /, '')),
        [summary],
        place,
      );
      const [event] = sunEvents;
      assert.ok(event?.startDate.isDate && event.endDate.isDate, `${place}: not an all-day event`);
      assert.equal(event.startDate.toString(), date, place);
      assert.equal(event.endDate.toString(), new Date(Date.parse(date) + 86_400_000).toISOString().slice(0, 10), place);
    }
  });

  it('gives Sydney, east of 90° E, its sunrise on the evening before in UTC', async () => {
    // Sunrise in Sydney on 1 January is about 05:47 AEDT (UTC+11): 18:47 UTC on 31 December.
    const all = events(
      calendarText(
        await runCaelundas({
          START_DATE: '2026-01-01',
          END_DATE: '2026-01-01',
          LATITUDE: '-33.8688',
          LONGITUDE: '151.2093',
        }),
      ),
    );
    assertNear(startsOf(all, 'Sunrise')[0], '2025-12-31T18:47Z', 'sunrise in Sydney');
  });
});

describe('caelundas: bad settings', () => {
  const good = { START_DATE: '2026-01-01', END_DATE: '2026-01-31', ...NEW_YORK };
  const cases: Array<{ name: string; settings: Record<string, string | undefined>; message: RegExp; secret?: string }> =
    [
      { name: 'a missing START_DATE', settings: { START_DATE: undefined }, message: /START_DATE is not set/ },
      {
        name: 'a date that does not exist',
        settings: { END_DATE: '2026-02-30' },
        message: /END_DATE must be a real date written YYYY-MM-DD \(got "2026-02-30"\)/,
      },
      {
        name: 'a date in another format',
        settings: { START_DATE: '01/02/2026' },
        message: /START_DATE must be a real date/,
      },
      {
        name: 'an end before the start',
        settings: { END_DATE: '2025-12-31' },
        message: /END_DATE \(2025-12-31\) is before START_DATE \(2026-01-01\)/,
      },
      {
        name: 'a year the formulas do not cover',
        settings: { START_DATE: '1850-01-01' },
        message: /START_DATE must be between 1900-01-01 and 2100-12-31/,
      },
      {
        name: 'a latitude beyond the pole',
        settings: { LATITUDE: '91.5432' },
        message: /LATITUDE must be a number of degrees from -90 to 90/,
        secret: '91.5432',
      },
      {
        name: 'a longitude that is not a number',
        settings: { LONGITUDE: '74.0060W' },
        message: /LONGITUDE must be a number/,
        secret: '74.006',
      },
    ];
  for (const { name, settings, message, secret } of cases) {
    it(`stops with exit code 2, a clear message and no file for ${name}`, async () => {
      const env = Object.fromEntries(
        Object.entries({ ...good, ...settings }).filter((entry): entry is [string, string] => entry[1] !== undefined),
      );
      const run = await runCaelundas(env);
      assert.equal(run.code, 2);
      assert.match(run.stderr, message);
      assert.match(run.stderr, /nothing was written/);
      assert.deepEqual(readdirSync(run.outputDir), []);
      for (const fragment of [secret, '40.7128', '74.006'].filter((value) => value !== undefined))
        assert.ok(!run.stderr.includes(fragment), `stderr shows "${fragment}"`);
    });
  }

  it('lists every bad setting at once', async () => {
    const run = await runCaelundas({ START_DATE: 'soon', LATITUDE: 'north' });
    assert.equal(run.code, 2);
    assert.deepEqual(run.stderr.match(/^caelundas: (\w+)/gm), [
      'caelundas: START_DATE',
      'caelundas: END_DATE',
      'caelundas: LATITUDE',
      'caelundas: LONGITUDE',
      'caelundas: nothing',
    ]);
  });

  it('exits 1 with the reason when the output folder cannot be written', async () => {
    const blocker = path.join(tempDir(), 'a-file');
    writeFileSync(blocker, '');
    const run = await runCaelundas({ ...good, OUTPUT_DIR: path.join(blocker, 'calendars') });
    assert.equal(run.code, 1);
    assert.match(run.stderr, /could not write the calendar: .*ENOTDIR/);
  });

  it('creates a missing output folder', async () => {
    const outputDir = path.join(tempDir(), 'nested', 'output');
    mkdirSync(path.dirname(outputDir));
    const run = await runCaelundas({ ...good, OUTPUT_DIR: outputDir });
    assert.equal(events(calendarText(run)).filter((event) => event.summary.endsWith('Sunrise')).length, 31);
  });
});

describe('caelundas: the iCalendar writer', () => {
  it('folds by octets and never inside a multi-octet character', () => {
    const line = `SUMMARY:${'🌕 Mond über Zürich, '.repeat(8)}`;
    const physical = foldLine(line).split('\r\n');
    assert.ok(physical.length > 2);
    const decoder = new TextDecoder('utf-8', { fatal: true });
    for (const [index, part] of physical.entries()) {
      const bytes = Buffer.from(part, 'utf8');
      assert.ok(bytes.length <= 75, `part ${index} has ${bytes.length} octets`);
      assert.equal(decoder.decode(bytes), part);
      if (index > 0) assert.ok(part.startsWith(' '), `part ${index} is not a continuation`);
    }
    assert.equal(physical.map((part, index) => (index === 0 ? part : part.slice(1))).join(''), line);
  });

  it('escapes backslashes, semicolons, commas and newlines in text', () => {
    assert.equal(escapeText('a\\b;c,d\ne'), 'a\\\\b\\;c\\,d\\ne');
  });
});
