import { PythonTypeError } from './python-values.ts';

const isoPattern =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?\s*(Z|z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)?$/;

/**
 * Parses a date the way StackStorm's `date_utils.parse` reads trigger payload dates: ISO 8601 in
 * its common spellings (`T` or space, fractions of a second, `Z` or `±HH:MM`), other textual
 * forms as far as the platform parser knows them, and a date without a zone is UTC (never the
 * host's local time). Returns epoch milliseconds.
 */
export function parseDateUtc(text: string): number {
  const trimmed = text.trim();
  const iso = isoPattern.exec(trimmed);
  if (iso) return fromIsoParts(iso);
  // Platform parsing treats a zone-less date as local time; appending UTC pins it, and a text that
  // already names a zone makes the first attempt invalid so the second one applies.
  const asUtc = Date.parse(`${trimmed} UTC`);
  if (!Number.isNaN(asUtc)) return asUtc;
  const asGiven = Date.parse(trimmed);
  if (!Number.isNaN(asGiven)) return asGiven;
  throw new PythonTypeError(`cannot parse "${text}" as a date`);
}

function fromIsoParts(parts: RegExpExecArray): number {
  const [, year, month, day, hour = '0', minute = '0', second = '0', fraction = '', zone] = parts;
  const millis = Number(`0.${fraction || '0'}`) * 1000;
  const outOfRange =
    Number(month) < 1 || Number(month) > 12 || Number(day) < 1 || Number(day) > 31 || Number(hour) > 23 || Number(minute) > 59 || Number(second) > 59;
  if (outOfRange) throw new PythonTypeError(`"${parts[0]}" is not a valid date`);
  let epoch = Date.UTC(Number(year), Number(month) - 1, Number(day), Number(hour), Number(minute), Number(second), 0) + millis;
  if (zone && !/^(Z|z|UTC|GMT)$/.test(zone)) {
    const sign = zone.startsWith('-') ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    const offsetMinutes = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || '0');
    epoch -= sign * offsetMinutes * 60_000;
  }
  if (Number.isNaN(epoch)) throw new PythonTypeError(`cannot parse "${parts[0]}" as a date`);
  return epoch;
}
