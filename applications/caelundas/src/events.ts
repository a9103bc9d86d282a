/** Turns the Sun's and the Moon's events for a date range at a place into calendar events. */
import { randomUUID } from 'node:crypto';
import type { Config } from './config.ts';
import type { CalendarEvent } from './ics.ts';
import { moonPhasesBetween, type MoonPhase } from './moon.ts';
import { sunDay } from './sun.ts';

const MS_PER_DAY = 86_400_000;
const MS_PER_MINUTE = 60_000;

const MOON_PHASE_TEXT: Record<MoonPhase, { summary: string; description: string }> = {
  new: {
    summary: '🌑 New Moon',
    description: 'The Moon passes between the Earth and the Sun; its lit side faces away from us.',
  },
  'first-quarter': {
    summary: '🌓 First quarter',
    description: 'Half of the Moon is lit, and the lit part grows each night until the full Moon.',
  },
  full: {
    summary: '🌕 Full Moon',
    description: 'The Moon is opposite the Sun and fully lit; it rises near sunset and sets near sunrise.',
  },
  'last-quarter': {
    summary: '🌗 Last quarter',
    description: 'Half of the Moon is lit, and the lit part shrinks each night until the new Moon.',
  },
};

export interface Progress {
  /** Called after the last day of each month (or of the range) with that month, e.g. "2026-01", and its day count. */
  monthDone(month: string, days: number): void;
}

export function astronomicalEvents(
  config: Config,
  progress: Progress,
): { events: CalendarEvent[]; moonPhases: number } {
  const firstDayMs = Date.parse(`${config.startDate}T00:00:00Z`);
  const lastDayMs = Date.parse(`${config.endDate}T00:00:00Z`);
  const timed: Array<{ atMs: number; event: CalendarEvent }> = [];

  let daysInMonth = 0;
  for (let dayMs = firstDayMs; dayMs <= lastDayMs; dayMs += MS_PER_DAY) {
    const date = new Date(dayMs).toISOString().slice(0, 10);
    timed.push(...sunEvents(date, dayMs, config));
    daysInMonth += 1;
    const nextDate = new Date(dayMs + MS_PER_DAY).toISOString().slice(0, 10);
    if (dayMs === lastDayMs || nextDate.slice(0, 7) !== date.slice(0, 7)) {
      progress.monthDone(date.slice(0, 7), daysInMonth);
      daysInMonth = 0;
    }
  }

  // Moon phases are the same instant everywhere, so they are taken by UTC date: from 00:00 UTC on the first day to
  // 24:00 UTC on the last.
  const moonPhases = moonPhasesBetween(firstDayMs, lastDayMs + MS_PER_DAY);
  for (const { phase, at } of moonPhases) {
    const start = roundToMinute(at);
    const text = MOON_PHASE_TEXT[phase];
    timed.push({
      atMs: start.getTime(),
      event: {
        uid: randomUUID(),
        summary: text.summary,
        description: `${text.description} Exact time: ${clock(start)} UTC.`,
        start: { utc: start },
      },
    });
  }

  return { events: timed.sort((a, b) => a.atMs - b.atMs).map(({ event }) => event), moonPhases: moonPhases.length };
}

function sunEvents(date: string, dayMs: number, config: Config): Array<{ atMs: number; event: CalendarEvent }> {
  const day = sunDay(dayMs, config.latitude, config.longitude);
  if (day.kind === 'polar-night') {
    return [
      {
        atMs: dayMs,
        event: {
          uid: randomUUID(),
          summary: '🌌 Polar night',
          description: 'The Sun does not rise today.',
          start: { date },
        },
      },
    ];
  }
  if (day.kind === 'polar-day') {
    return [
      {
        atMs: dayMs,
        event: {
          uid: randomUUID(),
          summary: '☀️ Midnight sun',
          description: 'The Sun does not set today.',
          start: { date },
        },
      },
    ];
  }
  // The formulas are good to about a minute, so the calendar does not pretend to know the seconds.
  const sunrise = roundToMinute(day.sunrise);
  const sunset = roundToMinute(day.sunset);
  const daylightMinutes = Math.round((sunset.getTime() - sunrise.getTime()) / MS_PER_MINUTE);
  const daylight = `${Math.floor(daylightMinutes / 60)} h ${daylightMinutes % 60} min`;
  return [
    {
      atMs: sunrise.getTime(),
      event: {
        uid: randomUUID(),
        summary: '🌅 Sunrise',
        description: `Daylight today: ${daylight}, until sunset at ${clock(sunset)} UTC.`,
        start: { utc: sunrise },
      },
    },
    {
      atMs: sunset.getTime(),
      event: {
        uid: randomUUID(),
        summary: '🌇 Sunset',
        description: `Daylight today: ${daylight}, since sunrise at ${clock(sunrise)} UTC.`,
        start: { utc: sunset },
      },
    },
  ];
}

function roundToMinute(date: Date): Date {
  return new Date(Math.round(date.getTime() / MS_PER_MINUTE) * MS_PER_MINUTE);
}

function clock(date: Date): string {
  return date.toISOString().slice(11, 16);
}
