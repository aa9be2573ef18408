/**
 * Inspection sampling per ISO 2859-1: single sampling, normal inspection. Table 1 (lot size → sample
 * size code letter) and Table 2-A (code letter × AQL → sample size, Ac, Re) are data in
 * `data/iso2859-1.json`; this module only reads them, following the table's arrows to the plan
 * actually used.
 * Pure module: no I/O, no clock, no randomness; imported by the monitoring workflow to judge an
 * on-site check, and by the API for a read-only preview of the sample to draw.
 */
import iso2859 from './data/iso2859-1.json';

export type InspectionLevel = 'S-1' | 'S-2' | 'S-3' | 'S-4' | 'I' | 'II' | 'III';
export type DefectClass = 'critical' | 'major' | 'minor';

export const DEFECT_CLASSES: readonly DefectClass[] = ['critical', 'major', 'minor'];

/** The service's defaults (DESIGN.md): general inspection level II, AQL critical 0, major 2.5, minor 4.0. */
export const DEFAULT_INSPECTION_LEVEL: InspectionLevel = 'II';
export const DEFAULT_AQLS: Readonly<Record<DefectClass, number>> = Object.freeze({ critical: 0, major: 2.5, minor: 4.0 });

export interface SamplingPlan {
  lotSize: number;
  level: InspectionLevel;
  aql: number;
  /** The code letter Table 1 gives for the lot size and level. */
  codeLetter: string;
  /** The Table 2-A row whose plan is used: differs from `codeLetter` when the cell was an arrow. */
  planLetter: string;
  /** Units to inspect; equals the lot size under 100 % inspection. */
  sampleSize: number;
  /** Acceptance number Ac: the lot passes this class with at most this many defects. */
  accept: number;
  /** Rejection number Re: the lot fails this class with this many defects or more. */
  reject: number;
  /** The plan's sample size equals or exceeds the lot size, so every unit of the lot is inspected. */
  fullInspection: boolean;
}

export interface InspectionPlan {
  lotSize: number;
  level: InspectionLevel;
  codeLetter: string;
  /** Largest sample size over the classes: how many units the inspector draws from the lot. */
  unitsToDraw: number;
  classes: Record<DefectClass, SamplingPlan>;
}

export type DefectCounts = Record<DefectClass, number>;

export interface Judgement {
  result: 'PASS' | 'FAIL';
  /** On FAIL, one line per class that reached its reject number; on PASS, one line per class. */
  reasons: string[];
}

type Arrow = '↑' | '↓';
type Cell = Arrow | { accept: number; reject: number };

interface LotRange {
  from: number;
  to: number;
  letters: Readonly<Record<string, string>>;
}

const hasOwn = (object: object, key: string): boolean => Object.prototype.hasOwnProperty.call(object, key);

// The JSON is checked once at load so a transcription slip (a gap between lot ranges, an unknown
// letter, a malformed cell) fails loudly instead of producing a wrong plan.
function tableError(what: string): Error {
  return new Error(`ISO 2859-1 table data is malformed: ${what}`);
}

const SAMPLE_SIZES: Readonly<Record<string, number>> = Object.freeze({ ...iso2859.table2A.sampleSizes });
const LETTERS: readonly string[] = Object.keys(SAMPLE_SIZES);
const LEVELS: readonly string[] = iso2859.table1.levels;

const LOT_RANGES: readonly LotRange[] = iso2859.table1.rows.map((row, i, rows) => {
  const to = row.lotSizeTo ?? Number.POSITIVE_INFINITY;
  const expectedFrom = i === 0 ? row.lotSizeFrom : (rows[i - 1].lotSizeTo ?? Number.NaN) + 1;
  if (row.lotSizeFrom !== expectedFrom || !(to >= row.lotSizeFrom)) throw tableError(`lot range ${i + 1}`);
  if (row.letters.length !== LEVELS.length) throw tableError(`lot range ${i + 1} letters`);
  const letters: Record<string, string> = {};
  LEVELS.forEach((level, j) => {
    if (!hasOwn(SAMPLE_SIZES, row.letters[j])) throw tableError(`letter ${row.letters[j]}`);
    letters[level] = row.letters[j];
  });
  return { from: row.lotSizeFrom, to, letters };
});

/** AQL columns of Table 2-A as published (e.g. "0.10", "4.0") and as numbers. */
const AQL_LABELS: readonly string[] = iso2859.table2A.aqls;
export const AQL_COLUMNS: readonly number[] = AQL_LABELS.map(Number);

const CELLS: Readonly<Record<string, readonly Cell[]>> = (() => {
  const cells: Record<string, readonly Cell[]> = {};
  const source: Record<string, ReadonlyArray<string | number[]>> = iso2859.table2A.cells;
  for (const letter of LETTERS) {
    const row = hasOwn(source, letter) ? source[letter] : undefined;
    if (!row || row.length !== AQL_LABELS.length) throw tableError(`Table 2-A row ${letter}`);
    cells[letter] = row.map((cell): Cell => {
      if (cell === '↑' || cell === '↓') return cell;
      if (Array.isArray(cell) && cell.length === 2 && Number.isInteger(cell[0]) && cell[1] === cell[0] + 1) {
        return { accept: cell[0], reject: cell[1] };
      }
      throw tableError(`Table 2-A cell ${letter} ${JSON.stringify(cell)}`);
    });
  }
  return cells;
})();

function checkLotSize(lotSize: number): void {
  if (typeof lotSize !== 'number' || !Number.isSafeInteger(lotSize) || lotSize < 1) {
    throw new Error(`lot size must be a positive integer, got ${String(lotSize)}`);
  }
}

function checkLevel(level: string): asserts level is InspectionLevel {
  if (typeof level !== 'string' || !LEVELS.includes(level)) {
    throw new Error(`unknown inspection level ${String(level)} (one of ${LEVELS.join(', ')})`);
  }
}

function aqlColumn(aql: number): number {
  const column = typeof aql === 'number' ? AQL_COLUMNS.indexOf(aql) : -1;
  if (column < 0) {
    throw new Error(`unknown AQL ${String(aql)} (0 for zero tolerance, or a Table 2-A column: ${AQL_LABELS.join(', ')})`);
  }
  return column;
}

/** The AQL as the standard prints it ("4.0", not "4"). */
function aqlLabel(aql: number): string {
  return aql === 0 ? '0' : AQL_LABELS[aqlColumn(aql)];
}

/**
 * Sample size code letter from Table 1. Table 1 starts at lots of 2; a lot of 1 takes the first
 * row, and any plan then inspects the whole lot.
 */
export function codeLetter(lotSize: number, level: InspectionLevel = DEFAULT_INSPECTION_LEVEL): string {
  checkLotSize(lotSize);
  checkLevel(level);
  const range = LOT_RANGES.find((r) => lotSize <= r.to) ?? LOT_RANGES[LOT_RANGES.length - 1];
  return range.letters[level];
}

/**
 * The single sampling plan (normal inspection) for one AQL. An arrow in Table 2-A means "use the first
 * sampling plan below (↓) or above (↑) the arrow" in the same AQL column, and that plan's sample size
 * replaces the code letter's. When the sample size equals or exceeds the lot size the whole lot is
 * inspected (Table 2-A footnote): sampleSize becomes the lot size and fullInspection is set.
 *
 * AQL 0 (zero tolerance, used for critical defects) is not a column of Table 2-A. It is read as
 * Ac 0 / Re 1 at the code letter's own sample size: one critical defect in the sample fails the lot.
 * We deliberately do not borrow the 0/1 plan of the smallest AQL column, whose sample size would
 * then depend on an arbitrary column choice rather than on the lot.
 */
export function samplingPlan(lotSize: number, aql: number, level: InspectionLevel = DEFAULT_INSPECTION_LEVEL): SamplingPlan {
  const letter = codeLetter(lotSize, level);
  let planLetter = letter;
  let accept = 0;
  let reject = 1;
  if (aql !== 0) {
    const column = aqlColumn(aql);
    let row = LETTERS.indexOf(letter);
    let direction: Arrow | undefined;
    for (;;) {
      const cell = CELLS[LETTERS[row]][column];
      if (typeof cell !== 'string') {
        ({ accept, reject } = cell);
        break;
      }
      // Arrows in one column all lead the same way to a plan; a reversal would loop forever.
      if (direction !== undefined && direction !== cell) throw tableError(`arrows disagree in AQL ${AQL_LABELS[column]}`);
      direction = cell;
      row += cell === '↓' ? 1 : -1;
      if (row < 0 || row >= LETTERS.length) throw tableError(`arrow leaves Table 2-A in AQL ${AQL_LABELS[column]}`);
    }
    planLetter = LETTERS[row];
  }
  const tableSampleSize = SAMPLE_SIZES[planLetter];
  const fullInspection = tableSampleSize >= lotSize;
  return {
    lotSize,
    level,
    aql,
    codeLetter: letter,
    planLetter,
    sampleSize: fullInspection ? lotSize : tableSampleSize,
    accept,
    reject,
    fullInspection,
  };
}

/**
 * One plan per defect class. Each class is judged on its own plan; the inspector draws the largest
 * sample and counts each class within the first `sampleSize` units drawn for that class.
 */
export function inspectionPlan(
  lotSize: number,
  aqls: Readonly<Record<DefectClass, number>> = DEFAULT_AQLS,
  level: InspectionLevel = DEFAULT_INSPECTION_LEVEL,
): InspectionPlan {
  if (typeof aqls !== 'object' || aqls === null) throw new Error('AQLs must give critical, major and minor');
  for (const defectClass of DEFECT_CLASSES) {
    if (!hasOwn(aqls, defectClass)) throw new Error(`AQLs must give ${defectClass}`);
  }
  const classes = {
    critical: samplingPlan(lotSize, aqls.critical, level),
    major: samplingPlan(lotSize, aqls.major, level),
    minor: samplingPlan(lotSize, aqls.minor, level),
  };
  return {
    lotSize,
    level,
    codeLetter: classes.critical.codeLetter,
    unitsToDraw: Math.max(classes.critical.sampleSize, classes.major.sampleSize, classes.minor.sampleSize),
    classes,
  };
}

function planSummary(plan: SamplingPlan): string {
  const sample = plan.fullInspection ? `sample ${plan.sampleSize}, the whole lot` : `sample ${plan.sampleSize}`;
  return `AQL ${aqlLabel(plan.aql)}, ${sample}`;
}

/** Pass or fail an on-site check: the lot fails when any class reaches its rejection number. */
export function judge(plan: InspectionPlan, found: DefectCounts): Judgement {
  if (typeof plan !== 'object' || plan === null || typeof plan.classes !== 'object' || plan.classes === null) {
    throw new Error('judge needs an inspection plan');
  }
  if (typeof found !== 'object' || found === null) throw new Error('defect counts must give critical, major and minor');
  const failures: string[] = [];
  const passes: string[] = [];
  for (const defectClass of DEFECT_CLASSES) {
    if (!hasOwn(plan.classes, defectClass)) throw new Error(`inspection plan has no ${defectClass} plan`);
    if (!hasOwn(found, defectClass)) throw new Error(`defect counts must give ${defectClass}`);
    const count = found[defectClass];
    if (typeof count !== 'number' || !Number.isSafeInteger(count) || count < 0) {
      throw new Error(`${defectClass} defects must be a non-negative integer, got ${String(count)}`);
    }
    const classPlan = plan.classes[defectClass];
    if (count >= classPlan.reject) {
      failures.push(`${defectClass} defects ${count} reach the reject number ${classPlan.reject} (${planSummary(classPlan)})`);
    } else {
      passes.push(`${defectClass} defects ${count} within the acceptance number ${classPlan.accept} (${planSummary(classPlan)})`);
    }
  }
  return failures.length > 0 ? { result: 'FAIL', reasons: failures } : { result: 'PASS', reasons: passes };
}
