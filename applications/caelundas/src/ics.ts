/**
 * A small iCalendar (RFC 5545) writer: CRLF line ends, lines folded at 75 octets, TEXT values escaped, times in UTC.
 */

export interface CalendarEvent {
  uid: string;
  summary: string;
  description?: string;
  /** An instant (written in UTC, with no end: RFC 5545 §3.6.1 makes it last no time), or a whole day (YYYY-MM-DD). */
  start: { utc: Date } | { date: string };
}

export interface Calendar {
  productId: string;
  name: string;
  /** When the calendar was made: every event's DTSTAMP. */
  stamp: Date;
  events: readonly CalendarEvent[];
}

const MAX_LINE_OCTETS = 75;

export function renderCalendar(calendar: Calendar): string {
  const stamp = formatUtc(calendar.stamp);
  const lines = [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    `PRODID:${calendar.productId}`,
    'CALSCALE:GREGORIAN',
    'METHOD:PUBLISH',
    `X-WR-CALNAME:${escapeText(calendar.name)}`,
  ];
  for (const event of calendar.events) {
    lines.push('BEGIN:VEVENT', `UID:${event.uid}`, `DTSTAMP:${stamp}`);
    if ('utc' in event.start) {
      lines.push(`DTSTART:${formatUtc(event.start.utc)}`);
    } else {
      lines.push(
        `DTSTART;VALUE=DATE:${compactDate(event.start.date)}`,
        `DTEND;VALUE=DATE:${compactDate(nextDate(event.start.date))}`,
      );
    }
    lines.push(`SUMMARY:${escapeText(event.summary)}`);
    if (event.description !== undefined) lines.push(`DESCRIPTION:${escapeText(event.description)}`);
    // An astronomical event never makes anyone busy: calendar apps must not block the time for it.
    lines.push('TRANSP:TRANSPARENT', 'END:VEVENT');
  }
  lines.push('END:VCALENDAR');
  return lines.map(foldLine).join('\r\n') + '\r\n';
}

/** RFC 5545 §3.3.11: backslash, semicolon and comma are escaped, a newline becomes \n. */
export function escapeText(text: string): string {
  return text.replace(/[\\;,]/g, (char) => `\\${char}`).replace(/\r?\n/g, '\\n');
}

/**
 * RFC 5545 §3.1: no line longer than 75 octets; a longer one continues on the next line after one space. The limit
 * is in UTF-8 octets, and a multi-octet character is never split.
 */
export function foldLine(line: string): string {
  const parts: string[] = [];
  let current = '';
  let octets = 0;
  for (const char of line) {
    const size = Buffer.byteLength(char, 'utf8');
    // Continuation lines start with the space, which counts towards their 75 octets.
    const limit = parts.length === 0 ? MAX_LINE_OCTETS : MAX_LINE_OCTETS - 1;
    if (octets + size > limit) {
      parts.push(current);
      current = '';
      octets = 0;
    }
    current += char;
    octets += size;
  }
  parts.push(current);
  return parts.join('\r\n ');
}

/** 2026-01-02T03:04:05.678Z → 20260102T030405Z (whole seconds: iCalendar has no fractions). */
export function formatUtc(date: Date): string {
  return date
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z')
    .replace(/[-:]/g, '');
}

function compactDate(isoDate: string): string {
  return isoDate.replaceAll('-', '');
}

function nextDate(isoDate: string): string {
  return new Date(Date.parse(`${isoDate}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
}
