import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import {
  CalendarError,
  addDays,
  addWorkingDays,
  calendarIds,
  calendarVersions,
  dayOfWeek,
  defineCalendar,
  describeDay,
  endOfLocalDay,
  getCalendar,
  isProvisional,
  isValidDate,
  isWorkingDay,
  localDate,
  nextWorkingDay,
  startOfLocalDay,
  workingDaysAfter,
  workingDaysBefore,
  workingDaysBetween,
  type CalendarData,
  type CalendarErrorCode,
  type WorkingCalendar,
} from '../../workflows/calendar';
import { CALENDAR_DIR, buildCalendars, formatCalendar, type ChinaSchedule } from '../../scripts/generate-calendars';
import adjustments from '../../workflows/calendars/adjustments.json';
import { CURRENT_MONITORING_POLICY_VERSION, MONITORING_POLICIES } from '../../workflows/monitoring.policy';
import { CURRENT_ORDER_POLICY_VERSION, ORDER_POLICIES } from '../../workflows/order.policy';

const cn = getCalendar('CN');
const us = getCalendar('US');
const de = getCalendar('DE');

const at = (iso: string): number => {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new Error(`bad test instant ${iso}`);
  return ms;
};
const iso = (ms: number): string => new Date(ms).toISOString();
const HOUR = 3_600_000;

function expectCalendarError(run: () => unknown, code: CalendarErrorCode, message: RegExp): void {
  let thrown: unknown;
  try {
    run();
  } catch (err) {
    thrown = err;
  }
  expect(thrown).toBeInstanceOf(CalendarError);
  expect((thrown as CalendarError).code).toBe(code);
  expect((thrown as CalendarError).message).toMatch(message);
}

/** Every date of a year, computed with Date here so the test does not share the module's arithmetic. */
function datesOfYear(year: number): string[] {
  const dates: string[] = [];
  for (let ms = Date.UTC(year, 0, 1); ms < Date.UTC(year + 1, 0, 1); ms += 86_400_000) dates.push(new Date(ms).toISOString().slice(0, 10));
  return dates;
}
const isWeekendDate = (date: string): boolean => [0, 6].includes(new Date(`${date}T00:00:00Z`).getUTCDay());

function testCalendar(overrides: Partial<CalendarData> = {}): CalendarData {
  return {
    id: 'TEST',
    version: 't1',
    timeZone: 'America/New_York',
    weekend: [0, 6],
    coverage: { from: '2026-01-01', to: '2026-12-31' },
    source: 'unit test',
    holidays: [{ date: '2026-07-03', name: 'Independence Day (observed)' }],
    adjustedWorkingDays: [{ date: '2026-07-11', name: 'make-up day' }],
    ...overrides,
  };
}

/**
 * The State Council schedules, typed here from the notices a second time, independently of
 * adjustments.json: 2025 (国办发明电〔2024〕12号, 2024-11-12) and 2026 (notice of 2025-11-04).
 */
const CN_OFFICIAL: Record<number, { off: [string, string][]; work: string[] }> = {
  2025: {
    off: [
      ['2025-01-01', '2025-01-01'],
      ['2025-01-28', '2025-02-04'],
      ['2025-04-04', '2025-04-06'],
      ['2025-05-01', '2025-05-05'],
      ['2025-05-31', '2025-06-02'],
      ['2025-10-01', '2025-10-08'],
    ],
    work: ['2025-01-26', '2025-02-08', '2025-04-27', '2025-09-28', '2025-10-11'],
  },
  2026: {
    off: [
      ['2026-01-01', '2026-01-03'],
      ['2026-02-15', '2026-02-23'],
      ['2026-04-04', '2026-04-06'],
      ['2026-05-01', '2026-05-05'],
      ['2026-06-19', '2026-06-21'],
      ['2026-09-25', '2026-09-27'],
      ['2026-10-01', '2026-10-07'],
    ],
    work: ['2026-01-04', '2026-02-14', '2026-02-28', '2026-05-09', '2026-09-20', '2026-10-10'],
  },
};

describe('calendar registry', () => {
  it('knows CN, DE and US at their current version', () => {
    expect(calendarIds()).toEqual(['CN', 'DE', 'US']);
    expect(cn).toMatchObject({ id: 'CN', version: '2026-12', timeZone: 'Asia/Shanghai' });
    expect(us).toMatchObject({ id: 'US', version: '2026-11', timeZone: 'America/New_York' });
    expect(de).toMatchObject({ id: 'DE', version: '2026-11', timeZone: 'Europe/Berlin' });
    expect(calendarVersions('CN')).toEqual(['2026-11', '2026-12']);
  });

  it('returns the same calendar for a pinned version as for the current one', () => {
    expect(getCalendar('CN', '2026-12')).toBe(cn);
    expect(getCalendar('US', us.version)).toBe(us);
  });

  it('keeps the superseded CN@2026-11 for the workflows pinned to it: 2027 without days off in lieu', () => {
    const old = getCalendar('CN', '2026-11');
    expect(old).not.toBe(cn);
    expect(isWorkingDay(old, '2027-02-09')).toBe(true);
    expect(isWorkingDay(cn, '2027-02-09')).toBe(false);
    for (const date of datesOfYear(2026)) expect([date, isWorkingDay(old, date)]).toEqual([date, isWorkingDay(cn, date)]);
  });

  it('validates every released version when it is first asked for', () => {
    for (const id of calendarIds()) {
      for (const version of calendarVersions(id)) expect(getCalendar(id, version)).toMatchObject({ id, version });
    }
  });

  it('rejects unknown ids, including the names of Object.prototype members', () => {
    for (const id of ['XX', 'cn', '', 'toString', '__proto__', 'constructor', 'hasOwnProperty', 'valueOf']) {
      expectCalendarError(() => getCalendar(id), 'UNKNOWN_CALENDAR', /unknown calendar .*known: CN, DE, US/);
    }
    expectCalendarError(() => getCalendar(undefined as unknown as string), 'UNKNOWN_CALENDAR', /unknown calendar/);
    expectCalendarError(() => calendarVersions('toString'), 'UNKNOWN_CALENDAR', /unknown calendar "toString"/);
  });

  it('rejects unknown versions, including the names of Object.prototype members', () => {
    for (const version of ['2025-01', '', 'toString', '__proto__', 'constructor']) {
      expectCalendarError(() => getCalendar('CN', version), 'UNKNOWN_CALENDAR', /unknown version .* of calendar CN; known: 2026-11, 2026-12/);
    }
  });

  it('hands out frozen calendars', () => {
    expect(Object.isFrozen(cn)).toBe(true);
    expect(Object.isFrozen(cn.weekend)).toBe(true);
    expect(() => {
      (cn as { timeZone: string }).timeZone = 'UTC';
    }).toThrow(TypeError);
    expect(cn.timeZone).toBe('Asia/Shanghai');
  });

  it('refuses a calendar that was not built by getCalendar or defineCalendar', () => {
    const copy = { ...cn } as WorkingCalendar;
    expectCalendarError(() => isWorkingDay(copy, '2026-03-02'), 'INVALID_INPUT', /getCalendar\(\) or defineCalendar\(\)/);
    expectCalendarError(() => localDate(copy, 0), 'INVALID_INPUT', /getCalendar\(\) or defineCalendar\(\)/);
  });
});

describe('calendar data', () => {
  it('is exactly what scripts/generate-calendars.ts builds from date-holidays and adjustments.json', () => {
    const built = buildCalendars();
    expect(built.map((b) => b.id)).toEqual(['CN', 'DE', 'US']);
    for (const data of built) {
      const text = readFileSync(path.join(CALENDAR_DIR, `${data.id}.json`), 'utf8');
      const version = (JSON.parse(text) as CalendarData).version;
      expect(formatCalendar({ ...data, version })).toBe(text);
    }
  });

  it.each([2025, 2026])('CN %i matches the State Council schedule on every day of the year', (year) => {
    const { off, work } = CN_OFFICIAL[year];
    const inSpan = (date: string) => off.some(([from, to]) => date >= from && date <= to);
    const mismatches = datesOfYear(year).filter((date) => {
      const expected = work.includes(date) || (!isWeekendDate(date) && !inSpan(date));
      return isWorkingDay(cn, date) !== expected;
    });
    expect(mismatches).toEqual([]);
    expect(datesOfYear(year).filter((d) => isProvisional(cn, d))).toEqual([]);
  });

  it('CN has 248 working days in 2025 and in 2026 (13 statutory days, swaps balanced)', () => {
    expect(workingDaysBetween(cn, '2024-12-31', '2025-12-31')).toBe(248);
    expect(workingDaysBetween(cn, '2025-12-31', '2026-12-31')).toBe(248);
  });

  it('US has 250 and DE 254 working days in 2026', () => {
    expect(workingDaysBetween(us, '2025-12-31', '2026-12-31')).toBe(250);
    expect(workingDaysBetween(de, '2025-12-31', '2026-12-31')).toBe(254);
  });

  it('CN Spring Festival 2026: Feb 15-23 off, the Saturdays Feb 14 and Feb 28 are working days', () => {
    expect(isWorkingDay(cn, '2026-02-13')).toBe(true);
    expect(isWorkingDay(cn, '2026-02-14')).toBe(true);
    for (const date of ['2026-02-15', '2026-02-16', '2026-02-17', '2026-02-18', '2026-02-19', '2026-02-20', '2026-02-21', '2026-02-22', '2026-02-23']) {
      expect([date, isWorkingDay(cn, date)]).toEqual([date, false]);
    }
    expect(isWorkingDay(cn, '2026-02-24')).toBe(true);
    expect(isWorkingDay(cn, '2026-02-28')).toBe(true);
    expect(isWorkingDay(cn, '2026-03-01')).toBe(false);
    expect(describeDay(cn, '2026-02-17')).toEqual({ date: '2026-02-17', working: false, kind: 'holiday', name: 'Spring Festival (春节)', provisional: false });
    expect(describeDay(cn, '2026-02-20')).toMatchObject({ working: false, kind: 'holiday', name: 'Spring Festival holiday (春节假期)' });
    expect(describeDay(cn, '2026-02-14')).toEqual({
      date: '2026-02-14',
      working: true,
      kind: 'adjusted-working-day',
      name: 'Spring Festival make-up working day (春节调休上班)',
      provisional: false,
    });
  });

  it('CN Spring Festival 2025: Jan 28 - Feb 4 off, Sunday Jan 26 and Saturday Feb 8 are working days', () => {
    expect(isWorkingDay(cn, '2025-01-26')).toBe(true);
    expect(isWorkingDay(cn, '2025-01-27')).toBe(true);
    expect(isWorkingDay(cn, '2025-01-28')).toBe(false);
    expect(isWorkingDay(cn, '2025-02-04')).toBe(false);
    expect(isWorkingDay(cn, '2025-02-05')).toBe(true);
    expect(isWorkingDay(cn, '2025-02-08')).toBe(true);
    expect(isWorkingDay(cn, '2025-02-09')).toBe(false);
  });

  it('CN 2027 is provisional: the statutory Spring Festival days (Eve and the first three days) and a day off in lieu for each on a weekend', () => {
    expect(cn.provisionalFrom).toBe('2027-01-01');
    expect(isProvisional(cn, '2026-12-31')).toBe(false);
    expect(isProvisional(cn, '2027-01-01')).toBe(true);
    expect(isWorkingDay(cn, '2027-02-04')).toBe(true);
    for (const date of ['2027-02-05', '2027-02-06', '2027-02-07', '2027-02-08']) {
      expect(describeDay(cn, date)).toEqual({ date, working: false, kind: 'holiday', name: 'Spring Festival (春节)', provisional: true });
    }
    // Saturday 6 and Sunday 7 February are statutory days: Tuesday 9 and Wednesday 10 are off in lieu.
    for (const date of ['2027-02-09', '2027-02-10']) {
      expect(describeDay(cn, date)).toEqual({ date, working: false, kind: 'holiday', name: 'Spring Festival (春节): day off in lieu (补休), provisional', provisional: true });
    }
    expect(isWorkingDay(cn, '2027-02-11')).toBe(true);
  });

  it('CN provisional years give a day off in lieu for every statutory day on a weekend (art. 6), on the next working days after the holiday', () => {
    const inLieu = (year: number) => datesOfYear(year).filter((d) => describeDay(cn, d).name?.includes('day off in lieu'));
    // Labour Day Sat 1 - Sun 2 May; National Day Fri 1 - Sun 3 October.
    expect(inLieu(2027)).toEqual(['2027-02-09', '2027-02-10', '2027-05-03', '2027-05-04', '2027-10-04', '2027-10-05']);
    // New Year's Day on Saturday 1 January; Dragon Boat on Sunday 28 May; National Day from Sunday 1 October.
    expect(inLieu(2028)).toEqual(['2028-01-03', '2028-05-29', '2028-10-04']);
    expect(datesOfYear(2027).filter((d) => describeDay(cn, d).kind === 'adjusted-working-day')).toEqual([]);
  });

  it('a booking for a shipment on 18 Feb 2027 counts back over the days off in lieu: its 7th working day before is 3 Feb', () => {
    expect(workingDaysBefore(cn, '2027-02-18', 7)).toBe('2027-02-03');
    expect(workingDaysBefore(getCalendar('CN', '2026-11'), '2027-02-18', 7)).toBe('2027-02-09');
  });

  it('CN National Day: 2025 Oct 1-8 with make-up days Sep 28 and Oct 11; 2026 Oct 1-7 with Sep 20 and Oct 10', () => {
    expect(workingDaysBetween(cn, '2025-09-26', '2025-10-12')).toBe(6); // Sep 28, 29, 30, Oct 9, 10, 11
    expect(isWorkingDay(cn, '2025-10-08')).toBe(false);
    expect(describeDay(cn, '2025-10-06').name).toBe('Mid-Autumn Festival (中秋节)');
    expect(isWorkingDay(cn, '2026-09-20')).toBe(true);
    expect(isWorkingDay(cn, '2026-10-07')).toBe(false);
    expect(isWorkingDay(cn, '2026-10-08')).toBe(true);
    expect(workingDaysBetween(cn, '2026-09-30', '2026-10-10')).toBe(3); // Oct 8, 9 and Saturday Oct 10
    expect(describeDay(cn, '2028-10-03').name).toBe('National Day (国庆节); Mid-Autumn Festival (中秋节)');
  });

  it('CN does not count holidays of part of the population (children, women, youth, army)', () => {
    expect(isWorkingDay(cn, '2026-06-01')).toBe(true); // Children's Day, a Monday
    expect(isWorkingDay(cn, '2027-03-08')).toBe(true); // Women's Day half day, a Monday
    expect(isWorkingDay(cn, '2025-08-01')).toBe(true); // Army Day, a Friday
    expect(isWorkingDay(cn, '2028-05-04')).toBe(true); // Youth Day half day, a Thursday
  });

  it('US counts federal holidays and their observed days, not observances', () => {
    expect(isWorkingDay(us, '2026-07-03')).toBe(false); // Independence Day observed (Jul 4 is a Saturday)
    expect(isWorkingDay(us, '2027-07-05')).toBe(false);
    expect(isWorkingDay(us, '2027-12-24')).toBe(false); // Christmas observed
    expect(isWorkingDay(us, '2027-12-31')).toBe(false); // New Year's Day 2028 observed
    expect(isWorkingDay(us, '2026-11-26')).toBe(false); // Thanksgiving
    expect(isWorkingDay(us, '2026-11-27')).toBe(true); // day after Thanksgiving: an observance
    expect(isWorkingDay(us, '2026-12-24')).toBe(true); // Christmas Eve: optional
    expect(describeDay(us, '2026-09-07')).toMatchObject({ kind: 'holiday', name: 'Labor Day' });
  });

  it('DE counts nationwide holidays only', () => {
    expect(isWorkingDay(de, '2026-04-03')).toBe(false); // Good Friday
    expect(isWorkingDay(de, '2026-04-06')).toBe(false); // Easter Monday
    expect(isWorkingDay(de, '2026-05-14')).toBe(false); // Ascension Day
    expect(isWorkingDay(de, '2026-02-16')).toBe(true); // Rosenmontag: an observance
    expect(isWorkingDay(de, '2026-06-04')).toBe(true); // Corpus Christi: a holiday of some states only
    expect(isWorkingDay(de, '2026-12-24')).toBe(true); // Christmas Eve: half a bank holiday
    expect(describeDay(de, '2026-10-03')).toMatchObject({ working: false, kind: 'holiday', name: 'National Holiday (Tag der Deutschen Einheit)' });
  });
});

describe('publishing an official schedule (README: "Publishing a year\'s official holiday schedule")', () => {
  // A made-up 2027 schedule in the shape of the State Council's notice, to run the release procedure on:
  // 18 weekdays off for 13 statutory days and 5 make-up working days.
  const schedule2027: ChinaSchedule = {
    year: 2027,
    notice: 'test schedule for 2027 (not the State Council notice)',
    url: 'https://example.invalid/2027',
    daysOff: [
      { from: '2027-01-01', to: '2027-01-03', en: "New Year's Day", zh: '元旦' },
      { from: '2027-02-05', to: '2027-02-13', en: 'Spring Festival', zh: '春节' },
      { from: '2027-04-03', to: '2027-04-05', en: 'Qingming Festival', zh: '清明节' },
      { from: '2027-05-01', to: '2027-05-05', en: 'Labour Day', zh: '劳动节' },
      { from: '2027-06-09', to: '2027-06-09', en: 'Dragon Boat Festival', zh: '端午节' },
      { from: '2027-09-15', to: '2027-09-15', en: 'Mid-Autumn Festival', zh: '中秋节' },
      { from: '2027-10-01', to: '2027-10-07', en: 'National Day', zh: '国庆节' },
    ],
    workingDays: [
      { date: '2027-02-14', en: 'Spring Festival', zh: '春节' },
      { date: '2027-02-20', en: 'Spring Festival', zh: '春节' },
      { date: '2027-05-08', en: 'Labour Day', zh: '劳动节' },
      { date: '2027-09-26', en: 'National Day', zh: '国庆节' },
      { date: '2027-10-09', en: 'National Day', zh: '国庆节' },
    ],
  };

  it("replaces the year's provisional estimates with the published days, and leaves the next year provisional", () => {
    const [data] = buildCalendars([...adjustments.CN.schedules, schedule2027]);
    const published = defineCalendar({ ...data, version: 'test-2027' });
    expect(published.provisionalFrom).toBe('2028-01-01');
    expect(isProvisional(published, '2027-02-09')).toBe(false);
    expect(describeDay(published, '2027-02-12')).toMatchObject({ working: false, kind: 'holiday', name: 'Spring Festival holiday (春节假期)' });
    expect(describeDay(published, '2027-02-14')).toMatchObject({ working: true, kind: 'adjusted-working-day' });
    expect(describeDay(published, '2027-05-03')).toMatchObject({ working: false, name: 'Labour Day holiday (劳动节假期)' });
    // No estimate survives in the published year; 2028 keeps its days off in lieu.
    expect(datesOfYear(2027).filter((d) => describeDay(published, d).name?.includes('provisional'))).toEqual([]);
    expect(describeDay(published, '2028-01-03')).toMatchObject({ working: false, provisional: true });
    // Changed data is a new release: the committed file's text no longer matches.
    expect(formatCalendar({ ...data, version: cn.version })).not.toBe(readFileSync(path.join(CALENDAR_DIR, 'CN.json'), 'utf8'));
  });

  it('refuses a schedule whose swaps do not balance (a mistyped date)', () => {
    const mistyped = { ...schedule2027, workingDays: schedule2027.workingDays.slice(1) };
    expect(() => buildCalendars([...adjustments.CN.schedules, mistyped])).toThrow(/CN 2027: 18 weekdays off, but 13 statutory days \+ 4 make-up working days/);
  });

  it('keeps every released file registered, and every release a policy pins known', () => {
    for (const file of readdirSync(CALENDAR_DIR).filter((f) => /^[A-Z]{2}\.[\d.-]+\.json$/.test(f))) {
      const [id, version] = [file.slice(0, 2), file.slice(3, -5)];
      expect([file, calendarVersions(id)]).toEqual([file, expect.arrayContaining([version])]);
    }
    for (const policy of Object.values(ORDER_POLICIES)) expect(getCalendar(policy.opsCalendar, policy.opsCalendarVersion).version).toBe(policy.opsCalendarVersion);
    for (const policy of Object.values(MONITORING_POLICIES)) {
      expect(getCalendar(policy.opsCalendar, policy.opsCalendarVersion).version).toBe(policy.opsCalendarVersion);
      for (const [id, version] of Object.entries(policy.calendarVersions)) expect(getCalendar(id, version)).toMatchObject({ id, version });
    }
    // The current policies count in the current release of each calendar.
    expect(ORDER_POLICIES[CURRENT_ORDER_POLICY_VERSION].opsCalendarVersion).toBe(cn.version);
    expect(MONITORING_POLICIES[CURRENT_MONITORING_POLICY_VERSION].calendarVersions).toEqual({ CN: cn.version, DE: de.version, US: us.version });
  });
});

describe('isWorkingDay', () => {
  it('treats Saturdays and Sundays as weekend days and weekdays as working days', () => {
    expect(isWorkingDay(us, '2026-03-13')).toBe(true); // Friday
    expect(isWorkingDay(us, '2026-03-14')).toBe(false);
    expect(isWorkingDay(us, '2026-03-15')).toBe(false);
    expect(isWorkingDay(us, '2026-03-16')).toBe(true);
    expect(describeDay(us, '2026-03-14')).toEqual({ date: '2026-03-14', working: false, kind: 'weekend', provisional: false });
  });

  it('lets an adjusted working day override the weekend, and a holiday override a weekday', () => {
    const cal = defineCalendar(testCalendar());
    expect(isWorkingDay(cal, '2026-07-11')).toBe(true); // Saturday, adjusted
    expect(isWorkingDay(cal, '2026-07-12')).toBe(false);
    expect(isWorkingDay(cal, '2026-07-03')).toBe(false); // Friday, holiday
    expect(isWorkingDay(cal, '2026-07-02')).toBe(true);
  });

  it('uses the calendar weekend, e.g. Friday and Saturday', () => {
    const cal = defineCalendar(testCalendar({ weekend: [5, 6], holidays: [], adjustedWorkingDays: [] }));
    expect(isWorkingDay(cal, '2026-07-10')).toBe(false); // Friday
    expect(isWorkingDay(cal, '2026-07-11')).toBe(false);
    expect(isWorkingDay(cal, '2026-07-12')).toBe(true); // Sunday
  });

  it('accepts 29 February in leap years only', () => {
    expect(isWorkingDay(cn, '2028-02-29')).toBe(true);
    expectCalendarError(() => isWorkingDay(cn, '2025-02-29'), 'INVALID_INPUT', /2025-02-29 is not a day of the calendar/);
    expectCalendarError(() => isWorkingDay(cn, '2026-02-29'), 'INVALID_INPUT', /2026-02-29 is not a day/);
  });

  it('rejects malformed dates with a clear error', () => {
    for (const bad of ['2026-2-05', '2026-02-5', '20260205', '2026/02/05', '2026-02-05T00:00:00Z', ' 2026-02-05', '2026-02-05 ', '', 'tomorrow']) {
      expectCalendarError(() => isWorkingDay(cn, bad), 'INVALID_INPUT', /date must be a date as YYYY-MM-DD/);
    }
    for (const bad of ['2026-13-01', '2026-00-10', '2026-04-31', '2026-01-00', '2026-01-32']) {
      expectCalendarError(() => isWorkingDay(cn, bad), 'INVALID_INPUT', /is not a day of the calendar/);
    }
    expectCalendarError(() => isWorkingDay(cn, 20260205 as unknown as string), 'INVALID_INPUT', /YYYY-MM-DD, got 20260205/);
    expectCalendarError(() => isWorkingDay(cn, undefined as unknown as string), 'INVALID_INPUT', /YYYY-MM-DD/);
  });

  it('refuses dates outside the coverage instead of guessing', () => {
    expect(cn.coverage).toEqual({ from: '2025-01-01', to: '2028-12-31' });
    expect(isWorkingDay(cn, '2025-01-02')).toBe(true);
    expect(isWorkingDay(cn, '2028-12-29')).toBe(true);
    expectCalendarError(() => isWorkingDay(cn, '2024-12-31'), 'OUTSIDE_COVERAGE', /CN@2026-12 covers 2025-01-01 to 2028-12-31; 2024-12-31 is outside it/);
    expectCalendarError(() => isWorkingDay(us, '2029-01-01'), 'OUTSIDE_COVERAGE', /2029-01-01 is outside it/);
    expectCalendarError(() => isProvisional(cn, '2029-01-01'), 'OUTSIDE_COVERAGE', /outside/);
  });
});

describe('workingDaysBefore: booking cutoffs', () => {
  it('counts back over the Spring Festival and its make-up Saturday (shipment 2026-02-25, 7 days)', () => {
    // Feb 24, [Feb 15-23 off], Sat Feb 14, Feb 13, 12, 11, 10, 9
    expect(workingDaysBefore(cn, '2026-02-25', 7)).toBe('2026-02-09');
    // the same shipment date in other suppliers' calendars
    expect(workingDaysBefore(us, '2026-02-25', 7)).toBe('2026-02-13'); // Washington's Birthday Feb 16
    expect(workingDaysBefore(de, '2026-02-25', 7)).toBe('2026-02-16');
  });

  it('counts both make-up Saturdays (shipment Monday 2026-03-02)', () => {
    // Sat Feb 28, 27, 26, 25, 24, [off], Sat Feb 14, Fri Feb 13
    expect(workingDaysBefore(cn, '2026-03-02', 7)).toBe('2026-02-13');
  });

  it('does not count the shipment date itself', () => {
    expect(workingDaysBefore(us, '2026-06-10', 1)).toBe('2026-06-09');
    expect(workingDaysBefore(us, '2026-06-08', 1)).toBe('2026-06-05'); // Monday: back over the weekend
    expect(workingDaysBefore(us, '2026-06-07', 1)).toBe('2026-06-05'); // from a Sunday
  });

  it('returns the date itself for n = 0, even on a holiday', () => {
    expect(workingDaysBefore(cn, '2026-02-18', 0)).toBe('2026-02-18');
    expect(workingDaysAfter(cn, '2026-02-18', 0)).toBe('2026-02-18');
  });

  it('crosses year boundaries', () => {
    // Sun Jan 4 (make-up), [Jan 1-3 off], Dec 31, Dec 30
    expect(workingDaysBefore(cn, '2026-01-05', 3)).toBe('2025-12-30');
    // [Jan 3, 2 weekend, Jan 1 holiday], Dec 31, 30, 29
    expect(workingDaysBefore(de, '2027-01-04', 3)).toBe('2026-12-29');
  });

  it('counts back over the provisional 2027 Spring Festival', () => {
    expect(workingDaysBefore(cn, '2027-02-12', 3)).toBe('2027-02-03');
  });

  it('tells a booking on the cutoff date from one a day later', () => {
    const cutoff = workingDaysBefore(cn, '2026-02-25', 7);
    expect(workingDaysBetween(cn, cutoff, '2026-02-25')).toBe(7);
    expect(workingDaysBetween(cn, addDays(cutoff, 1), '2026-02-25')).toBe(6);
    // the cutoff ends at midnight Shanghai time, whatever time it is in New York
    expect(iso(endOfLocalDay(cn, cutoff))).toBe('2026-02-09T16:00:00.000Z');
    expect(localDate(cn, at('2026-02-09T15:59:59.999Z'))).toBe('2026-02-09');
    expect(localDate(cn, at('2026-02-09T16:00:00.000Z'))).toBe('2026-02-10');
    expect(localDate(us, at('2026-02-09T16:00:00.000Z'))).toBe('2026-02-09');
  });

  it('is the inverse of workingDaysBetween for every working day of 2026', () => {
    const failures: string[] = [];
    for (const cal of [cn, us, de]) {
      for (const date of datesOfYear(2026).filter((d) => isWorkingDay(cal, d))) {
        for (const n of [1, 2, 7]) {
          const before = workingDaysBefore(cal, date, n);
          if (!isWorkingDay(cal, before) || workingDaysBetween(cal, before, date) !== n) failures.push(`${cal.id} ${date} -${n} = ${before}`);
          const after = workingDaysAfter(cal, date, n);
          if (!isWorkingDay(cal, after) || workingDaysBetween(cal, date, after) !== n) failures.push(`${cal.id} ${date} +${n} = ${after}`);
        }
      }
    }
    expect(failures).toEqual([]);
  });

  it('rejects negative or fractional counts and malformed dates', () => {
    for (const n of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, '7' as unknown as number]) {
      expectCalendarError(() => workingDaysBefore(cn, '2026-02-25', n), 'INVALID_INPUT', /working days must be a whole number of at least 0/);
    }
    expectCalendarError(() => workingDaysBefore(cn, '2026-02-30', 7), 'INVALID_INPUT', /2026-02-30 is not a day/);
  });

  it('refuses to walk out of the coverage', () => {
    expectCalendarError(() => workingDaysBefore(cn, '2025-01-03', 5), 'OUTSIDE_COVERAGE', /2024-12-31 is outside it/);
    expectCalendarError(() => workingDaysAfter(us, '2028-12-28', 5), 'OUTSIDE_COVERAGE', /2029-01-01 is outside it/);
  });
});

describe('addWorkingDays', () => {
  it('escalated Friday 15:00, 2 working days: Tuesday 15:00', () => {
    expect(iso(addWorkingDays(us, at('2026-06-05T19:00:00Z'), 2))).toBe('2026-06-09T19:00:00.000Z');
    expect(iso(addWorkingDays(de, at('2026-06-05T13:00:00Z'), 2))).toBe('2026-06-09T13:00:00.000Z');
  });

  it('keeps milliseconds of the time of day', () => {
    expect(iso(addWorkingDays(us, at('2026-06-05T19:00:00.123Z'), 1))).toBe('2026-06-08T19:00:00.123Z');
  });

  it('counts a CN make-up Saturday and skips the Spring Festival', () => {
    const friday = at('2026-02-13T07:00:00Z'); // 15:00 in Shanghai
    expect(iso(addWorkingDays(cn, friday, 1))).toBe('2026-02-14T07:00:00.000Z'); // Saturday, a working day
    expect(iso(addWorkingDays(cn, friday, 2))).toBe('2026-02-24T07:00:00.000Z');
    expect(iso(addWorkingDays(cn, friday, 7))).toBe('2026-03-02T07:00:00.000Z'); // via Saturday Feb 28
  });

  it('ops decides within 2 working days of an escalation on the eve of National Day', () => {
    const escalated = at('2026-09-30T02:00:00Z'); // Wednesday 10:00 in Shanghai
    expect(iso(addWorkingDays(cn, escalated, 2))).toBe('2026-10-09T02:00:00.000Z');
    expect(iso(addWorkingDays(cn, escalated, 3))).toBe('2026-10-10T02:00:00.000Z'); // make-up Saturday
  });

  it('report reminders 1 and 2 working days after an on-site check on a Friday before a make-up Saturday', () => {
    const checked = at('2026-05-08T08:00:00Z'); // Friday 16:00 in Shanghai
    expect(iso(addWorkingDays(cn, checked, 1))).toBe('2026-05-09T08:00:00.000Z');
    expect(iso(addWorkingDays(cn, checked, 2))).toBe('2026-05-11T08:00:00.000Z');
  });

  it('moves an instant on a non-working day to 00:00 of the next working day first', () => {
    const saturday = at('2026-03-07T02:00:00Z'); // Saturday 10:00 in Shanghai
    expect(iso(addWorkingDays(cn, saturday, 0))).toBe('2026-03-08T16:00:00.000Z'); // Monday 00:00
    expect(iso(addWorkingDays(cn, saturday, 2))).toBe('2026-03-10T16:00:00.000Z'); // Wednesday 00:00
    const festival = at('2026-02-18T04:00:00Z'); // Spring Festival, 12:00 in Shanghai
    expect(iso(addWorkingDays(cn, festival, 0))).toBe('2026-02-23T16:00:00.000Z'); // Tuesday Feb 24 00:00
    expect(iso(addWorkingDays(cn, festival, 1))).toBe('2026-02-24T16:00:00.000Z');
  });

  it('returns the instant itself for n = 0 on a working day', () => {
    expect(addWorkingDays(cn, at('2026-02-13T07:00:00Z'), 0)).toBe(at('2026-02-13T07:00:00Z'));
  });

  it('counts in the calendar time zone: Monday in Shanghai is Sunday in New York', () => {
    const instant = at('2026-03-16T01:00:00Z');
    expect(localDate(cn, instant)).toBe('2026-03-16');
    expect(localDate(us, instant)).toBe('2026-03-15');
    expect(dayOfWeek(localDate(cn, instant))).toBe(1);
    expect(dayOfWeek(localDate(us, instant))).toBe(0);
    expect(isWorkingDay(cn, localDate(cn, instant))).toBe(true);
    expect(isWorkingDay(us, localDate(us, instant))).toBe(false);
    expect(iso(addWorkingDays(cn, instant, 1))).toBe('2026-03-17T01:00:00.000Z'); // Tuesday 09:00 Shanghai
    expect(iso(addWorkingDays(us, instant, 1))).toBe('2026-03-17T04:00:00.000Z'); // Tuesday 00:00 New York
  });

  it('counts Sunday 2026-01-04 as a working day in Shanghai but not in New York', () => {
    const instant = at('2026-01-04T02:00:00Z'); // Sunday 10:00 in Shanghai, Saturday 21:00 in New York
    expect(iso(addWorkingDays(cn, instant, 1))).toBe('2026-01-05T02:00:00.000Z');
    expect(iso(addWorkingDays(us, instant, 1))).toBe('2026-01-06T05:00:00.000Z');
  });

  it('crosses New Year in the US', () => {
    expect(iso(addWorkingDays(us, at('2025-12-31T15:00:00Z'), 1))).toBe('2026-01-02T15:00:00.000Z');
  });

  it('keeps the local time of day across DST changes in New York and Berlin', () => {
    // Friday 15:00 EST -> Monday 15:00 EDT: 71 hours later
    const nyFriday = at('2026-03-06T20:00:00Z');
    expect(iso(addWorkingDays(us, nyFriday, 1))).toBe('2026-03-09T19:00:00.000Z');
    expect(addWorkingDays(us, nyFriday, 1) - nyFriday).toBe(71 * HOUR);
    // Friday 09:00 CET -> Monday 09:00 CEST
    expect(iso(addWorkingDays(de, at('2026-03-27T08:00:00Z'), 1))).toBe('2026-03-30T07:00:00.000Z');
    // Friday 09:00 CEST -> Monday 09:00 CET: 73 hours later
    const berlinFriday = at('2026-10-23T07:00:00Z');
    expect(iso(addWorkingDays(de, berlinFriday, 1))).toBe('2026-10-26T08:00:00.000Z');
    expect(addWorkingDays(de, berlinFriday, 1) - berlinFriday).toBe(73 * HOUR);
  });

  it('moves a time of day skipped by spring-forward forward by the gap, and takes the first of a repeated time', () => {
    const everyDay = defineCalendar(testCalendar({ id: 'NY7', weekend: [], holidays: [], adjustedWorkingDays: [] }));
    // Saturday 02:30 EST; Sunday 02:30 does not exist in New York -> 03:30 EDT
    expect(iso(addWorkingDays(everyDay, at('2026-03-07T07:30:00Z'), 1))).toBe('2026-03-08T07:30:00.000Z');
    expect(localDate(everyDay, at('2026-03-08T07:30:00Z'))).toBe('2026-03-08');
    // Saturday 01:30 EDT; Sunday 01:30 happens twice -> the first, still EDT
    expect(iso(addWorkingDays(everyDay, at('2026-10-31T05:30:00Z'), 1))).toBe('2026-11-01T05:30:00.000Z');
  });

  it('starts a day whose midnight is skipped (Santiago) at 01:00', () => {
    const santiago = defineCalendar(testCalendar({ id: 'SCL', timeZone: 'America/Santiago', weekend: [], holidays: [], adjustedWorkingDays: [] }));
    // Saturday 00:00 -04 -> Sunday starts at 01:00 -03, the same UTC hour
    expect(iso(addWorkingDays(santiago, at('2026-09-05T04:00:00Z'), 1))).toBe('2026-09-06T04:00:00.000Z');
    // Saturday 00:30 -04 -> Sunday 00:30 does not exist -> 01:30 -03
    expect(iso(addWorkingDays(santiago, at('2026-09-05T04:30:00Z'), 1))).toBe('2026-09-06T04:30:00.000Z');
  });

  it('rejects bad instants and counts', () => {
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, 1.5, 9e15, -9e15, '0' as unknown as number]) {
      expectCalendarError(() => addWorkingDays(cn, bad, 1), 'INVALID_INPUT', /instant must be an integer number of epoch milliseconds/);
    }
    expectCalendarError(() => addWorkingDays(cn, at('2026-02-13T07:00:00Z'), -2), 'INVALID_INPUT', /working days must be a whole number of at least 0, got -2/);
    expectCalendarError(() => addWorkingDays(cn, at('2026-02-13T07:00:00Z'), 0.5), 'INVALID_INPUT', /got 0.5/);
  });

  it('refuses instants and results outside the coverage', () => {
    expectCalendarError(() => addWorkingDays(cn, at('2024-12-31T02:00:00Z'), 1), 'OUTSIDE_COVERAGE', /2024-12-31 is outside/);
    expectCalendarError(() => addWorkingDays(de, at('2028-12-28T09:00:00Z'), 5), 'OUTSIDE_COVERAGE', /2029-01-01 is outside/);
  });

  it('agrees with workingDaysAfter and keeps the time of day for instants all through 2026', () => {
    const failures: string[] = [];
    for (const cal of [cn, us, de]) {
      for (let instant = at('2026-01-01T00:00:00Z'); instant < at('2026-12-20T00:00:00Z'); instant += 17 * HOUR + 1234) {
        const date = localDate(cal, instant);
        const from = isWorkingDay(cal, date) ? date : nextWorkingDay(cal, date);
        for (const n of [1, 2]) {
          const result = addWorkingDays(cal, instant, n);
          if (localDate(cal, result) !== workingDaysAfter(cal, from, n)) failures.push(`${cal.id} ${iso(instant)} +${n} = ${iso(result)}`);
          // same time since local midnight (no DST change falls on a working day in CN, DE or US),
          // or midnight when the instant was on a non-working day
          const timeOfDay = from === date ? instant - startOfLocalDay(cal, date) : 0;
          if (result - startOfLocalDay(cal, localDate(cal, result)) !== timeOfDay) failures.push(`${cal.id} ${iso(instant)} +${n}: time of day ${iso(result)}`);
        }
      }
    }
    expect(failures).toEqual([]);
  });
});

describe('workingDaysBetween', () => {
  it('counts working days in (from, to]', () => {
    expect(workingDaysBetween(us, '2026-06-05', '2026-06-05')).toBe(0);
    expect(workingDaysBetween(us, '2026-06-05', '2026-06-06')).toBe(0); // Friday -> Saturday
    expect(workingDaysBetween(us, '2026-06-05', '2026-06-08')).toBe(1); // -> Monday
    expect(workingDaysBetween(us, '2026-06-04', '2026-06-05')).toBe(1);
    expect(workingDaysBetween(cn, '2026-02-13', '2026-02-14')).toBe(1); // make-up Saturday
    expect(workingDaysBetween(cn, '2026-02-14', '2026-02-24')).toBe(1); // over the Spring Festival
    expect(workingDaysBetween(cn, '2026-02-14', '2026-02-23')).toBe(0);
  });

  it('is negative when to is before from', () => {
    expect(workingDaysBetween(cn, '2026-02-25', '2026-02-09')).toBe(-7);
    expect(workingDaysBetween(us, '2026-06-08', '2026-06-05')).toBe(-1);
  });

  it('counts across year boundaries', () => {
    expect(workingDaysBetween(cn, '2025-12-30', '2026-01-05')).toBe(3); // Dec 31, Sun Jan 4, Jan 5
    expect(workingDaysBetween(us, '2026-12-24', '2027-01-04')).toBe(5); // Dec 28-31, Jan 4
  });

  it('rejects malformed dates naming the argument', () => {
    expectCalendarError(() => workingDaysBetween(cn, '2026-1-1', '2026-02-01'), 'INVALID_INPUT', /fromDate must be a date as YYYY-MM-DD/);
    expectCalendarError(() => workingDaysBetween(cn, '2026-01-01', '2026-02-31'), 'INVALID_INPUT', /toDate 2026-02-31 is not a day/);
  });
});

describe('localDate, startOfLocalDay, endOfLocalDay', () => {
  it('gives the local date of an instant', () => {
    expect(localDate(cn, 0)).toBe('1970-01-01');
    expect(localDate(us, 0)).toBe('1969-12-31');
    expect(localDate(us, -1)).toBe('1969-12-31');
    expect(localDate(cn, at('2026-12-31T15:59:59.999Z'))).toBe('2026-12-31');
    expect(localDate(cn, at('2026-12-31T16:00:00.000Z'))).toBe('2027-01-01');
  });

  it('starts days at local midnight', () => {
    expect(iso(startOfLocalDay(cn, '2026-02-24'))).toBe('2026-02-23T16:00:00.000Z');
    expect(iso(startOfLocalDay(us, '2026-06-08'))).toBe('2026-06-08T04:00:00.000Z');
    expect(iso(startOfLocalDay(de, '2026-01-01'))).toBe('2025-12-31T23:00:00.000Z');
  });

  it('has 23-hour and 25-hour days at DST changes in New York and Berlin', () => {
    expect(iso(startOfLocalDay(us, '2026-03-08'))).toBe('2026-03-08T05:00:00.000Z');
    expect(iso(startOfLocalDay(us, '2026-03-09'))).toBe('2026-03-09T04:00:00.000Z');
    expect(endOfLocalDay(us, '2026-03-08') - startOfLocalDay(us, '2026-03-08')).toBe(23 * HOUR);
    expect(endOfLocalDay(us, '2026-11-01') - startOfLocalDay(us, '2026-11-01')).toBe(25 * HOUR);
    expect(iso(startOfLocalDay(de, '2026-10-25'))).toBe('2026-10-24T22:00:00.000Z');
    expect(iso(endOfLocalDay(de, '2026-10-25'))).toBe('2026-10-25T23:00:00.000Z');
    expect(endOfLocalDay(de, '2026-03-29') - startOfLocalDay(de, '2026-03-29')).toBe(23 * HOUR);
    expect(localDate(de, at('2026-10-24T21:59:59.999Z'))).toBe('2026-10-24');
    expect(localDate(de, at('2026-10-24T22:00:00.000Z'))).toBe('2026-10-25');
  });

  it('starts a day whose midnight is skipped at the transition (Santiago, 2026-09-06 begins 01:00)', () => {
    const santiago = defineCalendar(testCalendar({ id: 'SCL', timeZone: 'America/Santiago', holidays: [], adjustedWorkingDays: [] }));
    expect(iso(startOfLocalDay(santiago, '2026-09-06'))).toBe('2026-09-06T04:00:00.000Z');
    expect(localDate(santiago, at('2026-09-06T03:59:59.999Z'))).toBe('2026-09-05');
    expect(endOfLocalDay(santiago, '2026-09-05') - startOfLocalDay(santiago, '2026-09-05')).toBe(24 * HOUR);
    // clocks go back at midnight on 2026-04-05: 23:00-24:00 of April 4 happens twice
    expect(endOfLocalDay(santiago, '2026-04-04') - startOfLocalDay(santiago, '2026-04-04')).toBe(25 * HOUR);
  });

  it('throws for a date the time zone skipped (Samoa, 2011-12-30)', () => {
    const apia = defineCalendar(testCalendar({ id: 'APIA', timeZone: 'Pacific/Apia', coverage: { from: '2011-01-01', to: '2011-12-31' }, holidays: [], adjustedWorkingDays: [] }));
    expect(iso(startOfLocalDay(apia, '2011-12-29'))).toBe('2011-12-29T10:00:00.000Z');
    expect(iso(startOfLocalDay(apia, '2011-12-31'))).toBe('2011-12-30T10:00:00.000Z');
    expectCalendarError(() => startOfLocalDay(apia, '2011-12-30'), 'NONEXISTENT_LOCAL_DATE', /2011-12-30 does not exist in Pacific\/Apia/);
  });

  it('rejects malformed dates and instants', () => {
    expectCalendarError(() => startOfLocalDay(cn, '2026-02-30'), 'INVALID_INPUT', /not a day/);
    expectCalendarError(() => localDate(cn, Number.NaN), 'INVALID_INPUT', /instant must be/);
  });
});

describe('date helpers', () => {
  it('adds calendar days over month, leap-year and year ends', () => {
    expect(addDays('2026-02-28', 1)).toBe('2026-03-01');
    expect(addDays('2028-02-28', 1)).toBe('2028-02-29');
    expect(addDays('2026-12-31', 1)).toBe('2027-01-01');
    expect(addDays('2026-01-01', -1)).toBe('2025-12-31');
    expect(addDays('2000-03-01', -1)).toBe('2000-02-29');
    expect(addDays('1900-03-01', -1)).toBe('1900-02-28');
    expect(addDays('2026-03-01', 365)).toBe('2027-03-01');
    expectCalendarError(() => addDays('9999-12-31', 1), 'INVALID_INPUT', /resulting date/);
    expectCalendarError(() => addDays('2026-01-01', 0.5), 'INVALID_INPUT', /days must be an integer/);
  });

  it('gives the day of the week as a JS day number', () => {
    expect(dayOfWeek('1970-01-01')).toBe(4);
    expect(dayOfWeek('2026-02-14')).toBe(6);
    expect(dayOfWeek('2026-02-15')).toBe(0);
    expect(dayOfWeek('1969-12-28')).toBe(0);
  });

  it('validates dates', () => {
    expect(isValidDate('2028-02-29')).toBe(true);
    expect(isValidDate('2027-02-29')).toBe(false);
    expect(isValidDate('2027-2-28')).toBe(false);
  });

  it('finds the next working day', () => {
    expect(nextWorkingDay(cn, '2026-02-13')).toBe('2026-02-14');
    expect(nextWorkingDay(cn, '2026-02-14')).toBe('2026-02-24');
    expect(nextWorkingDay(us, '2026-07-02')).toBe('2026-07-06');
  });
});

describe('defineCalendar', () => {
  it('builds a calendar from valid data', () => {
    const cal = defineCalendar(testCalendar());
    expect(cal).toMatchObject({ id: 'TEST', version: 't1', timeZone: 'America/New_York', coverage: { from: '2026-01-01', to: '2026-12-31' } });
    expect(cal.holidays.get('2026-07-03')).toBe('Independence Day (observed)');
    expect(cal.provisionalFrom).toBeUndefined();
  });

  it.each<[string, Partial<CalendarData>, RegExp]>([
    ['an unknown time zone', { timeZone: 'Mars/Olympus_Mons' }, /unknown time zone "Mars\/Olympus_Mons"/],
    ['a weekend of every day', { weekend: [0, 1, 2, 3, 4, 5, 6] }, /weekend must list distinct day numbers 0-6, and not all seven/],
    ['a weekend day number out of range', { weekend: [0, 7] }, /weekend must list/],
    ['a repeated weekend day', { weekend: [6, 6] }, /weekend must list/],
    ['a malformed holiday date', { holidays: [{ date: '2026-7-3', name: 'x' }] }, /holiday date must be a date as YYYY-MM-DD/],
    ['a holiday listed twice', { holidays: [{ date: '2026-07-03', name: 'x' }, { date: '2026-07-03', name: 'y' }] }, /holiday 2026-07-03 is listed twice/],
    ['a holiday without a name', { holidays: [{ date: '2026-07-03', name: '' }] }, /holiday 2026-07-03 has no name/],
    ['a holiday outside the coverage', { holidays: [{ date: '2027-01-01', name: 'x' }] }, /holiday 2027-01-01 is outside the coverage/],
    ['an adjusted working day on a weekday', { adjustedWorkingDays: [{ date: '2026-07-10', name: 'x' }] }, /adjusted working day 2026-07-10 is not a weekend day/],
    [
      'a day both holiday and adjusted working day',
      { holidays: [{ date: '2026-07-11', name: 'x' }], adjustedWorkingDays: [{ date: '2026-07-11', name: 'y' }] },
      /2026-07-11 is both a holiday and an adjusted working day/,
    ],
    ['a reversed coverage', { coverage: { from: '2026-12-31', to: '2026-01-01' } }, /coverage.from is after coverage.to/],
    ['an invalid coverage date', { coverage: { from: '2026-01-01', to: '2026-12-32' } }, /coverage.to 2026-12-32 is not a day/],
    ['an invalid provisionalFrom', { provisionalFrom: 'soon' }, /provisionalFrom must be a date/],
    ['an empty version', { version: '' }, /version must be a non-empty string/],
    ['an id with spaces', { id: 'C N' }, /id must be letters, digits/],
  ])('rejects %s', (_what, overrides, message) => {
    expectCalendarError(() => defineCalendar(testCalendar(overrides)), 'INVALID_CALENDAR', message);
  });
});
