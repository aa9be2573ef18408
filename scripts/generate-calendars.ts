/**
 * Generates the working-day calendars in workflows/calendars/<ID>.json from the date-holidays package
 * (pinned exactly in package.json) and, for China, the State Council schedules in
 * workflows/calendars/adjustments.json.
 *
 *   npx tsx scripts/generate-calendars.ts                   write the files; unchanged data keeps its version
 *   npx tsx scripts/generate-calendars.ts --check           exit 1 if a committed file is not what would be generated
 *   npx tsx scripts/generate-calendars.ts --version=2027-01 release changed data as a new version
 *
 * A released calendar version never changes: running workflows replay their deadlines against it. Changed
 * data needs a new version; the previous file is kept as <ID>.<version>.json and must stay registered in
 * workflows/calendar.ts.
 */
import Holidays from 'date-holidays';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { CalendarData, CalendarDay } from '../workflows/calendar';
import adjustments from '../workflows/calendars/adjustments.json';
import { DAY_MS } from '../workflows/common';

export const CALENDAR_DIR = path.join(__dirname, '..', 'workflows', 'calendars');
/** Version given to a calendar generated for the first time. */
export const INITIAL_VERSION = '2026-11';
export const YEARS = [2025, 2026, 2027, 2028];

interface CalendarSource {
  id: string;
  country: string;
  timeZone: string;
  /** date-holidays language of the English names ('en-us' spells Labor Day as Americans do). */
  english: string;
  /** Language of the local holiday names shown after the English one; undefined when English is local. */
  localLanguage?: string;
  scope: string;
}

export const SOURCES: readonly CalendarSource[] = [
  { id: 'CN', country: 'CN', timeZone: 'Asia/Shanghai', english: 'en', localLanguage: 'zh', scope: 'statutory holidays for all citizens' },
  { id: 'DE', country: 'DE', timeZone: 'Europe/Berlin', english: 'en', localLanguage: 'de', scope: 'nationwide public holidays; holidays of single states, e.g. Corpus Christi, are not included' },
  { id: 'US', country: 'US', timeZone: 'America/New_York', english: 'en-us', scope: 'federal holidays with their observed (substitute) days' },
];

interface ChinaAdjustments {
  statutoryAmendments: {
    source: string;
    add: { rule: string; from: string; en: string; zh: string }[];
    exclude: { rule: string; why: string }[];
  };
  schedules: {
    year: number;
    notice: string;
    url: string;
    daysOff: { from: string; to: string; en: string; zh: string }[];
    workingDays: { date: string; en: string; zh: string }[];
  }[];
}

const china: ChinaAdjustments = adjustments.CN;


function dayNumber(date: string): number {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) throw new Error(`not a YYYY-MM-DD date: ${date}`);
  const ms = Date.parse(`${date}T00:00:00Z`);
  if (Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== date) throw new Error(`no such date: ${date}`);
  return ms / DAY_MS;
}

function dateOf(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

function weekday(date: string): number {
  return new Date(dayNumber(date) * DAY_MS).getUTCDay();
}

function datesBetween(from: string, to: string): string[] {
  const dates: string[] = [];
  for (let day = dayNumber(from); day <= dayNumber(to); day++) dates.push(dateOf(day));
  return dates;
}

function label(en: string, local: string | undefined): string {
  return local && local !== en ? `${en} (${local})` : en;
}

function datePackageVersion(): string {
  const pkg = JSON.parse(readFileSync(require.resolve('date-holidays/package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

/**
 * The full-day public holidays date-holidays knows for a country and year, by date. A public holiday that
 * starts after midnight (a half day) must be excluded explicitly, so nothing partial slips in unnoticed.
 */
function libraryHolidays(source: CalendarSource, year: number, excluded: ReadonlySet<string>, excludedSeen: Set<string>): Map<string, string[]> {
  const hd = new Holidays(source.country, { timezone: source.timeZone });
  if (source.id === 'CN') {
    for (const add of china.statutoryAmendments.add) {
      if (!hd.setHoliday(add.rule, { name: { en: add.en, zh: add.zh }, type: 'public', active: [{ from: add.from }] })) {
        throw new Error(`date-holidays rejected the CN amendment rule "${add.rule}"`);
      }
    }
  }
  const english = hd.getHolidays(year, source.english);
  const local = source.localLanguage ? hd.getHolidays(year, source.localLanguage) : english;
  const localName = new Map(local.map((h) => [`${h.date}|${h.rule}`, h.name]));
  const byDate = new Map<string, string[]>();
  for (const h of english) {
    if (h.type !== 'public') continue;
    if (excluded.has(h.rule)) {
      excludedSeen.add(h.rule);
      continue;
    }
    const [date, time] = h.date.split(' ');
    if (time !== '00:00:00') {
      throw new Error(`${source.id} ${h.date} ${h.name} (${h.rule}) is a public holiday from ${time}: exclude it or count it, explicitly`);
    }
    if (!date.startsWith(`${year}-`)) continue;
    const name = label(h.name, localName.get(`${h.date}|${h.rule}`));
    const names = byDate.get(date) ?? [];
    if (!names.includes(name)) names.push(name);
    byDate.set(date, names);
  }
  return byDate;
}

type Built = Omit<CalendarData, 'version'>;

/** One year's State Council schedule, as transcribed in adjustments.json. */
export type ChinaSchedule = ChinaAdjustments['schedules'][number];

/**
 * Builds every calendar's data (all but its version) from date-holidays and adjustments.json; with
 * `schedules`, from those China schedules instead (what publishing a year's schedule would give).
 */
export function buildCalendars(schedules: readonly ChinaSchedule[] = china.schedules): Built[] {
  const from = `${YEARS[0]}-01-01`;
  const to = `${YEARS[YEARS.length - 1]}-12-31`;
  const libraryVersion = datePackageVersion();
  return SOURCES.map((source) => {
    const isChina = source.id === 'CN';
    const excluded = new Set(isChina ? china.statutoryAmendments.exclude.map((e) => e.rule) : []);
    const excludedSeen = new Set<string>();
    const holidays = new Map<string, string[]>();
    const adjustedWorkingDays = new Map<string, string>();
    let provisionalFrom: string | undefined;

    for (const year of YEARS) {
      const statutory = libraryHolidays(source, year, excluded, excludedSeen);
      for (const [date, names] of statutory) holidays.set(date, names);
      if (!isChina) continue;

      const schedule = schedules.find((s) => s.year === year);
      if (!schedule) {
        provisionalFrom ??= `${year}-01-01`;
        for (const [date, name] of daysOffInLieu(statutory, holidays)) holidays.set(date, [name]);
        continue;
      }
      if (provisionalFrom) throw new Error(`CN: schedule for ${year} follows a year without one (${provisionalFrom})`);
      checkAndMergeSchedule(schedule, statutory, holidays, adjustedWorkingDays);
    }
    for (const rule of excluded) {
      if (!excludedSeen.has(rule)) throw new Error(`${source.id}: excluded rule "${rule}" no longer matches any date-holidays holiday: review adjustments.json`);
    }

    const toDays = (entries: Iterable<[string, string]>): CalendarDay[] =>
      [...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([date, name]) => ({ date, name }));
    const sourceText = isChina
      ? `date-holidays@${libraryVersion}: CN ${source.scope}, amended per workflows/calendars/adjustments.json (${china.statutoryAmendments.source.split(':')[0]}); ` +
        `days off in lieu and make-up working days from the State Council schedules: ${schedules.map((s) => `${s.year}: ${s.notice}, ${s.url}`).join('; ')}` +
        (provisionalFrom
          ? `. From ${provisionalFrom} on the calendar is provisional until the State Council publishes that year's schedule: statutory holidays, and for each that falls on a Saturday or Sunday a day off in lieu on the next working day after its holiday (${IN_LIEU_RULE}); no make-up working days`
          : '')
      : `date-holidays@${libraryVersion}: ${source.country} ${source.scope}`;
    const data: Built = {
      id: source.id,
      timeZone: source.timeZone,
      weekend: [0, 6],
      coverage: { from, to },
      ...(provisionalFrom ? { provisionalFrom } : {}),
      source: sourceText,
      holidays: toDays([...holidays].map(([date, names]) => [date, names.join('; ')])),
      adjustedWorkingDays: toDays(adjustedWorkingDays),
    };
    return data;
  });
}

/** The rule a provisional year's days off in lieu follow. */
export const IN_LIEU_RULE =
  '《全国年节及纪念日放假办法》 art. 6: a holiday for all citizens that falls on a Saturday or Sunday is made up on a working day';

/**
 * A provisional year's days off in lieu (补休): for each statutory holiday that falls on a weekend, the
 * next working day after the run of holidays it belongs to (consecutive statutory days, weekends
 * included) is a day off instead. Spring Festival 2027 (Fri 5 to Mon 8 February, with Saturday and
 * Sunday in it) gives Tuesday 9 and Wednesday 10 February. The State Council's schedule, once
 * published, replaces these estimates with the days it names (and its make-up working days).
 */
export function daysOffInLieu(statutory: ReadonlyMap<string, string[]>, taken: ReadonlyMap<string, unknown>): Map<string, string> {
  const isWeekend = (date: string) => weekday(date) === 0 || weekday(date) === 6;
  const inLieu = new Map<string, string>();
  const dates = [...statutory.keys()].sort();
  let i = 0;
  while (i < dates.length) {
    // A run of statutory days on consecutive dates.
    let j = i;
    while (j + 1 < dates.length && dayNumber(dates[j + 1]) === dayNumber(dates[j]) + 1) j++;
    const run = dates.slice(i, j + 1);
    const owed = run.filter(isWeekend).length;
    const names = statutory.get(run[0]) ?? [];
    let day = dayNumber(run[run.length - 1]);
    for (let given = 0; given < owed; ) {
      day++;
      const date = dateOf(day);
      if (isWeekend(date) || statutory.has(date) || taken.has(date) || inLieu.has(date)) continue;
      inLieu.set(date, `${names.join('; ')}: day off in lieu (补休), provisional`);
      given++;
    }
    i = j + 1;
  }
  return inLieu;
}

/**
 * Merges one State Council schedule after checking it against the statutory holidays: every statutory
 * day lies inside a published span, make-up working days are weekend days outside the spans, and the swap
 * balances (weekdays off = statutory days + make-up working days), which catches a mistyped date.
 */
function checkAndMergeSchedule(
  schedule: ChinaAdjustments['schedules'][number],
  statutory: ReadonlyMap<string, string[]>,
  holidays: Map<string, string[]>,
  adjustedWorkingDays: Map<string, string>,
): void {
  const year = schedule.year;
  const off = new Map<string, string>();
  for (const span of schedule.daysOff) {
    if (dayNumber(span.from) > dayNumber(span.to)) throw new Error(`CN ${year}: span ${span.from}..${span.to} is reversed`);
    for (const date of datesBetween(span.from, span.to)) {
      if (!date.startsWith(`${year}-`)) throw new Error(`CN ${year}: day off ${date} is outside ${year}`);
      if (off.has(date)) throw new Error(`CN ${year}: day off ${date} is in two spans`);
      off.set(date, label(`${span.en} holiday`, `${span.zh}假期`));
    }
  }
  for (const date of statutory.keys()) {
    if (!off.has(date)) throw new Error(`CN ${year}: statutory holiday ${date} is not inside any day-off span of the schedule`);
  }
  for (const day of schedule.workingDays) {
    const dow = weekday(day.date);
    if (dow !== 0 && dow !== 6) throw new Error(`CN ${year}: make-up working day ${day.date} is not a weekend day`);
    if (off.has(day.date)) throw new Error(`CN ${year}: make-up working day ${day.date} is inside a day-off span`);
    if (adjustedWorkingDays.has(day.date)) throw new Error(`CN ${year}: make-up working day ${day.date} is listed twice`);
    adjustedWorkingDays.set(day.date, label(`${day.en} make-up working day`, `${day.zh}调休上班`));
  }
  const weekdaysOff = [...off.keys()].filter((date) => weekday(date) !== 0 && weekday(date) !== 6).length;
  if (weekdaysOff !== statutory.size + schedule.workingDays.length) {
    throw new Error(
      `CN ${year}: ${weekdaysOff} weekdays off, but ${statutory.size} statutory days + ${schedule.workingDays.length} make-up working days: check the transcription`,
    );
  }
  for (const [date, name] of off) {
    if (!holidays.has(date)) holidays.set(date, [name]);
  }
}

/** The file text: one holiday per line, so a diff of a new version reads as a list of changed days. */
export function formatCalendar(data: CalendarData): string {
  const days = (list: readonly CalendarDay[]) =>
    list.length === 0 ? '[]' : `[\n${list.map((d) => `    ${JSON.stringify({ date: d.date, name: d.name })}`).join(',\n')}\n  ]`;
  const head: [string, unknown][] = [
    ['id', data.id],
    ['version', data.version],
    ['timeZone', data.timeZone],
    ['weekend', data.weekend],
    ['coverage', { from: data.coverage.from, to: data.coverage.to }],
    ['provisionalFrom', data.provisionalFrom],
    ['source', data.source],
  ];
  const lines = head.filter(([, value]) => value !== undefined).map(([key, value]) => `  ${JSON.stringify(key)}: ${JSON.stringify(value)}`);
  lines.push(`  "holidays": ${days(data.holidays)}`, `  "adjustedWorkingDays": ${days(data.adjustedWorkingDays)}`);
  return `{\n${lines.join(',\n')}\n}\n`;
}

function main(): void {
  const args = process.argv.slice(2);
  const check = args.includes('--check');
  const versionArg = args.find((a) => a.startsWith('--version='))?.slice('--version='.length);
  const unknown = args.filter((a) => a !== '--check' && !a.startsWith('--version='));
  if (unknown.length > 0) throw new Error(`unknown argument ${unknown.join(' ')}`);
  if (versionArg !== undefined && !/^\d{4}-\d{2}(?:\.\d+)?$/.test(versionArg)) throw new Error(`--version must look like 2027-01: ${versionArg}`);

  let stale = 0;
  for (const built of buildCalendars()) {
    const file = path.join(CALENDAR_DIR, `${built.id}.json`);
    const existingText = existsSync(file) ? readFileSync(file, 'utf8') : undefined;
    const existing = existingText === undefined ? undefined : (JSON.parse(existingText) as CalendarData);
    const unchanged = existing !== undefined && formatCalendar({ ...built, version: existing.version } as CalendarData) === existingText;

    if (check) {
      if (!unchanged) {
        stale++;
        console.error(`${built.id}: ${existing ? 'differs from' : 'missing, expected'} the generated calendar (${file})`);
      } else console.log(`${built.id}@${existing.version}: up to date`);
      continue;
    }
    if (unchanged) {
      if (versionArg !== undefined && versionArg !== existing.version) console.log(`${built.id}@${existing.version}: data unchanged, not released as ${versionArg}`);
      else console.log(`${built.id}@${existing.version}: unchanged`);
      continue;
    }
    let version = versionArg ?? INITIAL_VERSION;
    if (existing) {
      if (versionArg === undefined || versionArg === existing.version) {
        throw new Error(`${built.id}: data changed, but version ${existing.version} is released and must not change: pass --version=<new version>`);
      }
      const archived = path.join(CALENDAR_DIR, `${built.id}.${existing.version}.json`);
      if (existsSync(archived)) throw new Error(`${archived} already exists`);
      renameSync(file, archived);
      console.log(`${built.id}: kept ${existing.version} as ${path.basename(archived)}: import it in workflows/calendar.ts (ARCHIVED_CALENDARS)`);
      version = versionArg;
    }
    const data = { ...built, version } as CalendarData;
    writeFileSync(file, formatCalendar(data));
    console.log(`${built.id}@${version}: written, ${data.holidays.length} holidays, ${data.adjustedWorkingDays.length} adjusted working days`);
  }
  if (stale > 0) {
    console.error(`${stale} calendar(s) out of date: run npx tsx scripts/generate-calendars.ts`);
    process.exitCode = 1;
  }
}

if (require.main === module) {
  try {
    main();
  } catch (err) {
    console.error(`generate-calendars failed: ${(err as Error).message}`);
    process.exitCode = 1;
  }
}
