import iso2859 from '../../workflows/data/iso2859-1.json';
import {
  AQL_COLUMNS,
  DEFAULT_AQLS,
  codeLetter,
  inspectionPlan,
  judge,
  samplingPlan,
  type InspectionLevel,
} from '../../workflows/aql';

// Expected values are transcribed from published copies of ISO 2859-1 Table 1 and Table 2-A (and the
// identical MIL-STD-105E / ANSI Z1.4 tables), independently of the JSON data file.
const LEVELS: InspectionLevel[] = ['S-1', 'S-2', 'S-3', 'S-4', 'I', 'II', 'III'];

// Table 1: lot size range → letters for S-1, S-2, S-3, S-4, I, II, III.
const PUBLISHED_TABLE_1: [number, number, string][] = [
  [2, 8, 'AAAAAAB'],
  [9, 15, 'AAAAABC'],
  [16, 25, 'AABBBCD'],
  [26, 50, 'ABBCCDE'],
  [51, 90, 'BBCCCEF'],
  [91, 150, 'BBCDDFG'],
  [151, 280, 'BCDEEGH'],
  [281, 500, 'BCDEFHJ'],
  [501, 1200, 'CCEFGJK'],
  [1201, 3200, 'CDEGHKL'],
  [3201, 10000, 'CDFGJLM'],
  [10001, 35000, 'CDFHKMN'],
  [35001, 150000, 'DEGJLNP'],
  [150001, 500000, 'DEGJMPQ'],
  [500001, 10_000_000, 'DEHKNQR'],
];

const SAMPLE_SIZES: Record<string, number> = {
  A: 2, B: 3, C: 5, D: 8, E: 13, F: 20, G: 32, H: 50, J: 80, K: 125, L: 200, M: 315, N: 500, P: 800, Q: 1250, R: 2000,
};
const LETTERS = Object.keys(SAMPLE_SIZES);

// Table 2-A, normal inspection, AQL columns 0.065 0.10 0.15 0.25 0.40 0.65 1.0 1.5 2.5 4.0 6.5.
const PUBLISHED_AQLS = [0.065, 0.1, 0.15, 0.25, 0.4, 0.65, 1.0, 1.5, 2.5, 4.0, 6.5];
const PUBLISHED_TABLE_2A: Record<string, string> = {
  A: '↓    ↓    ↓    ↓    ↓    ↓    ↓    ↓    ↓    ↓    0/1',
  B: '↓    ↓    ↓    ↓    ↓    ↓    ↓    ↓    ↓    0/1  ↑',
  C: '↓    ↓    ↓    ↓    ↓    ↓    ↓    ↓    0/1  ↑    ↓',
  D: '↓    ↓    ↓    ↓    ↓    ↓    ↓    0/1  ↑    ↓    1/2',
  E: '↓    ↓    ↓    ↓    ↓    ↓    0/1  ↑    ↓    1/2  2/3',
  F: '↓    ↓    ↓    ↓    ↓    0/1  ↑    ↓    1/2  2/3  3/4',
  G: '↓    ↓    ↓    ↓    0/1  ↑    ↓    1/2  2/3  3/4  5/6',
  H: '↓    ↓    ↓    0/1  ↑    ↓    1/2  2/3  3/4  5/6  7/8',
  J: '↓    ↓    0/1  ↑    ↓    1/2  2/3  3/4  5/6  7/8  10/11',
  K: '↓    0/1  ↑    ↓    1/2  2/3  3/4  5/6  7/8  10/11 14/15',
  L: '0/1  ↑    ↓    1/2  2/3  3/4  5/6  7/8  10/11 14/15 21/22',
  M: '↑    ↓    1/2  2/3  3/4  5/6  7/8  10/11 14/15 21/22 ↑',
  N: '↓    1/2  2/3  3/4  5/6  7/8  10/11 14/15 21/22 ↑    ↑',
  P: '1/2  2/3  3/4  5/6  7/8  10/11 14/15 21/22 ↑    ↑    ↑',
  Q: '2/3  3/4  5/6  7/8  10/11 14/15 21/22 ↑    ↑    ↑    ↑',
  R: '3/4  5/6  7/8  10/11 14/15 21/22 ↑    ↑    ↑    ↑    ↑',
};
const publishedCells = (letter: string): (string | number[])[] =>
  PUBLISHED_TABLE_2A[letter].split(/\s+/).map((cell) => (cell.includes('/') ? cell.split('/').map(Number) : cell));

// A lot and level whose Table 1 letter is the given one (level II reaches A..Q, level III reaches R).
function lotFor(letter: string): { lot: number; level: InspectionLevel } {
  if (letter === 'R') return { lot: 500001, level: 'III' };
  return { lot: PUBLISHED_TABLE_1[LETTERS.indexOf(letter)][1], level: 'II' };
}

describe('the ISO 2859-1 data file', () => {
  it('holds Table 1 as published', () => {
    expect(iso2859.table1.levels).toEqual(LEVELS);
    expect(iso2859.table1.rows.map((r) => [r.lotSizeFrom, r.lotSizeTo, r.letters.join('')])).toEqual(
      PUBLISHED_TABLE_1.map(([from, to, letters], i) => [from, i === PUBLISHED_TABLE_1.length - 1 ? null : to, letters]),
    );
  });

  it('holds the sample sizes of Table 2-A as published', () => {
    expect(iso2859.table2A.sampleSizes).toEqual(SAMPLE_SIZES);
    expect(AQL_COLUMNS).toEqual(PUBLISHED_AQLS);
  });

  it.each(LETTERS)('holds Table 2-A row %s as published', (letter) => {
    expect((iso2859.table2A.cells as Record<string, unknown>)[letter]).toEqual(publishedCells(letter));
  });
});

describe('codeLetter', () => {
  it('gives J for a lot of 1,200 at level II by default', () => {
    expect(codeLetter(1200)).toBe('J');
    expect(codeLetter(1200, 'II')).toBe('J');
    expect(codeLetter(500)).toBe('H');
  });

  it('changes letter exactly at the published range boundaries', () => {
    expect(codeLetter(280)).toBe('G');
    expect(codeLetter(281)).toBe('H');
    expect(codeLetter(1200)).toBe('J');
    expect(codeLetter(1201)).toBe('K');
    expect(codeLetter(3200)).toBe('K');
    expect(codeLetter(3201)).toBe('L');
    expect(codeLetter(500000)).toBe('P');
    expect(codeLetter(500001)).toBe('Q');
  });

  it.each(PUBLISHED_TABLE_1)('gives the published letters for lots %d to %d at every level', (from, to, letters) => {
    for (const [j, level] of LEVELS.entries()) {
      expect([level, codeLetter(from, level)]).toEqual([level, letters[j]]);
      expect([level, codeLetter(to, level)]).toEqual([level, letters[j]]);
    }
  });

  it('gives the first row to a lot of one unit, below the table', () => {
    expect(codeLetter(1)).toBe('A');
    expect(codeLetter(1, 'III')).toBe('B');
  });

  it('is open-ended above 500,000', () => {
    expect(codeLetter(Number.MAX_SAFE_INTEGER)).toBe('Q');
    expect(codeLetter(Number.MAX_SAFE_INTEGER, 'S-1')).toBe('D');
  });
});

describe('samplingPlan', () => {
  it('uses the code letter sample size where Table 2-A gives a plan', () => {
    expect(samplingPlan(1200, 2.5)).toEqual({
      lotSize: 1200, level: 'II', aql: 2.5, codeLetter: 'J', planLetter: 'J', sampleSize: 80, accept: 5, reject: 6, fullInspection: false,
    });
    expect(samplingPlan(1200, 4.0)).toMatchObject({ codeLetter: 'J', sampleSize: 80, accept: 7, reject: 8 });
    expect(samplingPlan(500, 2.5)).toMatchObject({ codeLetter: 'H', sampleSize: 50, accept: 3, reject: 4 });
    expect(samplingPlan(500, 4.0)).toMatchObject({ codeLetter: 'H', sampleSize: 50, accept: 5, reject: 6 });
  });

  it('agrees with worked examples from published guides', () => {
    // Lot 1,000, level II, AQL 1.0: J, 80 units, accept 2, reject 3.
    expect(samplingPlan(1000, 1.0)).toMatchObject({ codeLetter: 'J', sampleSize: 80, accept: 2, reject: 3 });
    // Lot 3,000, level II, AQL 2.5: K, 125 units, accept 7, reject 8.
    expect(samplingPlan(3000, 2.5)).toMatchObject({ codeLetter: 'K', sampleSize: 125, accept: 7, reject: 8 });
    // Lot 27, level II, AQL 2.5: D is an up arrow, so C with 5 units, accept 0, reject 1.
    expect(samplingPlan(27, 2.5)).toMatchObject({ codeLetter: 'D', planLetter: 'C', sampleSize: 5, accept: 0, reject: 1 });
  });

  it('follows a down arrow to a larger sample (letters A and B at AQL 2.5 use C)', () => {
    expect(samplingPlan(8, 2.5)).toEqual({
      lotSize: 8, level: 'II', aql: 2.5, codeLetter: 'A', planLetter: 'C', sampleSize: 5, accept: 0, reject: 1, fullInspection: false,
    });
    expect(samplingPlan(15, 2.5)).toMatchObject({ codeLetter: 'B', planLetter: 'C', sampleSize: 5, accept: 0, reject: 1 });
    // The down arrow just above a 1/2 plan: E at 2.5 uses F.
    expect(samplingPlan(90, 2.5)).toMatchObject({ codeLetter: 'E', planLetter: 'F', sampleSize: 20, accept: 1, reject: 2 });
    expect(samplingPlan(50, 4.0)).toMatchObject({ codeLetter: 'D', planLetter: 'E', sampleSize: 13, accept: 1, reject: 2 });
  });

  it('follows an up arrow to a smaller sample', () => {
    expect(samplingPlan(15, 6.5)).toMatchObject({ codeLetter: 'B', planLetter: 'A', sampleSize: 2, accept: 0, reject: 1 });
    expect(samplingPlan(25, 4.0)).toMatchObject({ codeLetter: 'C', planLetter: 'B', sampleSize: 3, accept: 0, reject: 1 });
    // Beyond 21/22 the column points up: P and Q at 2.5 both use N.
    expect(samplingPlan(500000, 2.5)).toMatchObject({ codeLetter: 'P', planLetter: 'N', sampleSize: 500, accept: 21, reject: 22 });
    expect(samplingPlan(500001, 2.5)).toMatchObject({ codeLetter: 'Q', planLetter: 'N', sampleSize: 500, accept: 21, reject: 22 });
    expect(samplingPlan(500001, 4.0)).toMatchObject({ codeLetter: 'Q', planLetter: 'M', sampleSize: 315, accept: 21, reject: 22 });
  });

  it('matches the ISO 2859-1:1999 plans published for lots of 35,001 to 500,000 at special levels', () => {
    // Jenkins, Peck and Fernando (2023): AQL, level, sample size, Ac/Re.
    const lot = 100000;
    expect(samplingPlan(lot, 0.65, 'S-4')).toMatchObject({ codeLetter: 'J', sampleSize: 80, accept: 1, reject: 2 });
    expect(samplingPlan(lot, 0.65, 'S-3')).toMatchObject({ codeLetter: 'G', planLetter: 'F', sampleSize: 20, accept: 0, reject: 1 });
    expect(samplingPlan(lot, 0.4, 'S-4')).toMatchObject({ codeLetter: 'J', planLetter: 'K', sampleSize: 125, accept: 1, reject: 2 });
    expect(samplingPlan(lot, 0.4, 'S-3')).toMatchObject({ codeLetter: 'G', sampleSize: 32, accept: 0, reject: 1 });
    expect(samplingPlan(lot, 0.25, 'S-4')).toMatchObject({ codeLetter: 'J', planLetter: 'H', sampleSize: 50, accept: 0, reject: 1 });
    expect(samplingPlan(lot, 0.15, 'S-4')).toMatchObject({ codeLetter: 'J', sampleSize: 80, accept: 0, reject: 1 });
  });

  it.each(LETTERS)('resolves every AQL of row %s to a published plan in the arrow direction', (letter) => {
    const { lot, level } = lotFor(letter);
    const row = LETTERS.indexOf(letter);
    PUBLISHED_AQLS.forEach((aql, column) => {
      const plan = samplingPlan(lot, aql, level);
      const start = publishedCells(letter)[column];
      const used = LETTERS.indexOf(plan.planLetter);
      const cell = publishedCells(plan.planLetter)[column];
      expect(plan.codeLetter).toBe(letter);
      expect([aql, cell]).toEqual([aql, [plan.accept, plan.reject]]);
      if (start === '↓') expect(used).toBeGreaterThan(row);
      else if (start === '↑') expect(used).toBeLessThan(row);
      else expect(used).toBe(row);
      // Every cell passed on the way is the same arrow: the first plan below or above it is taken.
      const [low, high] = used > row ? [row, used] : [used + 1, row + 1];
      for (let between = low; between < high; between++) {
        if (between !== used) expect([aql, publishedCells(LETTERS[between])[column]]).toEqual([aql, start]);
      }
      expect(plan.sampleSize).toBe(Math.min(SAMPLE_SIZES[plan.planLetter], lot));
    });
  });

  it('inspects the whole lot when the sample size equals or exceeds it', () => {
    expect(samplingPlan(2, 6.5)).toMatchObject({ codeLetter: 'A', planLetter: 'A', sampleSize: 2, fullInspection: true });
    expect(samplingPlan(5, 2.5)).toMatchObject({ planLetter: 'C', sampleSize: 5, accept: 0, reject: 1, fullInspection: true });
    expect(samplingPlan(3, 2.5)).toMatchObject({ planLetter: 'C', sampleSize: 3, accept: 0, reject: 1, fullInspection: true });
    // Lot 10 is B; AQL 1.0 points down to E with 13 units, more than the lot.
    expect(samplingPlan(10, 1.0)).toMatchObject({ codeLetter: 'B', planLetter: 'E', sampleSize: 10, fullInspection: true });
    expect(samplingPlan(1, 4.0)).toMatchObject({ sampleSize: 1, fullInspection: true });
  });

  it('samples when the sample size is below the lot size', () => {
    expect(samplingPlan(6, 2.5)).toMatchObject({ planLetter: 'C', sampleSize: 5, fullInspection: false });
    expect(samplingPlan(3, 6.5)).toMatchObject({ planLetter: 'A', sampleSize: 2, fullInspection: false });
    expect(samplingPlan(16, 1.0)).toMatchObject({ codeLetter: 'C', planLetter: 'E', sampleSize: 13, fullInspection: false });
  });

  it('reads AQL 0 as accept 0 / reject 1 at the code letter sample size', () => {
    expect(samplingPlan(1200, 0)).toEqual({
      lotSize: 1200, level: 'II', aql: 0, codeLetter: 'J', planLetter: 'J', sampleSize: 80, accept: 0, reject: 1, fullInspection: false,
    });
    expect(samplingPlan(27, 0)).toMatchObject({ codeLetter: 'D', planLetter: 'D', sampleSize: 8, accept: 0, reject: 1 });
    expect(samplingPlan(600000, 0, 'III')).toMatchObject({ codeLetter: 'R', sampleSize: 2000, accept: 0, reject: 1 });
    expect(samplingPlan(2, 0)).toMatchObject({ sampleSize: 2, fullInspection: true });
    expect(samplingPlan(3, 0)).toMatchObject({ sampleSize: 2, fullInspection: false });
  });
});

describe('inspectionPlan', () => {
  it('gives one plan per defect class with the service defaults', () => {
    const plan = inspectionPlan(1200);
    expect(DEFAULT_AQLS).toEqual({ critical: 0, major: 2.5, minor: 4.0 });
    expect(plan).toMatchObject({ lotSize: 1200, level: 'II', codeLetter: 'J', unitsToDraw: 80 });
    expect(plan.classes.critical).toMatchObject({ aql: 0, sampleSize: 80, accept: 0, reject: 1 });
    expect(plan.classes.major).toMatchObject({ aql: 2.5, sampleSize: 80, accept: 5, reject: 6 });
    expect(plan.classes.minor).toMatchObject({ aql: 4.0, sampleSize: 80, accept: 7, reject: 8 });
  });

  it('lets each class follow its own arrow and draws the largest sample', () => {
    const plan = inspectionPlan(27);
    expect(plan.codeLetter).toBe('D');
    expect(plan.classes.critical).toMatchObject({ planLetter: 'D', sampleSize: 8, accept: 0, reject: 1 });
    expect(plan.classes.major).toMatchObject({ planLetter: 'C', sampleSize: 5, accept: 0, reject: 1 });
    expect(plan.classes.minor).toMatchObject({ planLetter: 'E', sampleSize: 13, accept: 1, reject: 2 });
    expect(plan.unitsToDraw).toBe(13);
  });

  it('takes other AQLs and levels', () => {
    const plan = inspectionPlan(1200, { critical: 0, major: 1.0, minor: 6.5 }, 'III');
    expect(plan).toMatchObject({ level: 'III', codeLetter: 'K', unitsToDraw: 125 });
    expect(plan.classes.major).toMatchObject({ sampleSize: 125, accept: 3, reject: 4 });
    expect(plan.classes.minor).toMatchObject({ sampleSize: 125, accept: 14, reject: 15 });
  });

  it('never draws more units than the lot holds', () => {
    const plan = inspectionPlan(4);
    expect(plan.unitsToDraw).toBe(4);
    expect(plan.classes.major).toMatchObject({ planLetter: 'C', sampleSize: 4, fullInspection: true });
    expect(plan.classes.critical).toMatchObject({ planLetter: 'A', sampleSize: 2, fullInspection: false });
  });
});

describe('judge', () => {
  const plan = inspectionPlan(1200);

  it('passes at the acceptance numbers', () => {
    expect(judge(plan, { critical: 0, major: 5, minor: 7 })).toEqual({
      result: 'PASS',
      reasons: [
        'critical defects 0 within the acceptance number 0 (AQL 0, sample 80)',
        'major defects 5 within the acceptance number 5 (AQL 2.5, sample 80)',
        'minor defects 7 within the acceptance number 7 (AQL 4.0, sample 80)',
      ],
    });
  });

  it('fails when major defects reach the rejection number', () => {
    expect(judge(plan, { critical: 0, major: 6, minor: 0 })).toEqual({
      result: 'FAIL',
      reasons: ['major defects 6 reach the reject number 6 (AQL 2.5, sample 80)'],
    });
  });

  it('fails when minor defects reach the rejection number', () => {
    expect(judge(plan, { critical: 0, major: 0, minor: 8 })).toEqual({
      result: 'FAIL',
      reasons: ['minor defects 8 reach the reject number 8 (AQL 4.0, sample 80)'],
    });
  });

  it('fails on a single critical defect', () => {
    expect(judge(plan, { critical: 1, major: 0, minor: 0 })).toEqual({
      result: 'FAIL',
      reasons: ['critical defects 1 reach the reject number 1 (AQL 0, sample 80)'],
    });
  });

  it('lists every class that fails', () => {
    const judgement = judge(plan, { critical: 2, major: 9, minor: 7 });
    expect(judgement.result).toBe('FAIL');
    expect(judgement.reasons).toEqual([
      'critical defects 2 reach the reject number 1 (AQL 0, sample 80)',
      'major defects 9 reach the reject number 6 (AQL 2.5, sample 80)',
    ]);
  });

  it('says when the whole lot was inspected', () => {
    expect(judge(inspectionPlan(4), { critical: 0, major: 1, minor: 0 })).toEqual({
      result: 'FAIL',
      reasons: ['major defects 1 reach the reject number 1 (AQL 2.5, sample 4, the whole lot)'],
    });
  });

  it('judges a plan that went through JSON (workflow state)', () => {
    const restored = JSON.parse(JSON.stringify(plan)) as typeof plan;
    expect(judge(restored, { critical: 0, major: 6, minor: 0 }).result).toBe('FAIL');
    expect(judge(restored, { critical: 0, major: 5, minor: 0 }).result).toBe('PASS');
  });
});

describe('input validation', () => {
  it('rejects a lot size that is not a positive integer', () => {
    for (const lot of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53]) {
      expect(() => codeLetter(lot)).toThrow(`lot size must be a positive integer, got ${String(lot)}`);
      expect(() => samplingPlan(lot, 2.5)).toThrow(/lot size must be a positive integer/);
      expect(() => inspectionPlan(lot)).toThrow(/lot size must be a positive integer/);
    }
    expect(() => codeLetter('100' as unknown as number)).toThrow('lot size must be a positive integer, got 100');
  });

  it('rejects an unknown inspection level, including names inherited from Object.prototype', () => {
    for (const level of ['IV', 'ii', 'S-5', '', 'toString', 'constructor', '__proto__', 'hasOwnProperty']) {
      expect(() => codeLetter(100, level as InspectionLevel)).toThrow(`unknown inspection level ${level} (one of S-1, S-2, S-3, S-4, I, II, III)`);
      expect(() => samplingPlan(100, 2.5, level as InspectionLevel)).toThrow(/unknown inspection level/);
    }
  });

  it('rejects an AQL that is not a Table 2-A column or 0', () => {
    for (const aql of [3, 0.05, 10, 0.01, -2.5, Number.NaN]) {
      expect(() => samplingPlan(1200, aql)).toThrow(`unknown AQL ${String(aql)} (0 for zero tolerance, or a Table 2-A column: 0.065,`);
    }
    for (const aql of ['2.5', 'toString', null, undefined]) {
      expect(() => samplingPlan(1200, aql as unknown as number)).toThrow(/unknown AQL/);
    }
  });

  it('accepts every published AQL column, written either way', () => {
    expect(samplingPlan(1200, 0.1)).toMatchObject({ planLetter: 'K', accept: 0, reject: 1 });
    expect(samplingPlan(1200, 0.10)).toMatchObject({ planLetter: 'K', accept: 0, reject: 1 });
    expect(samplingPlan(1200, 4)).toMatchObject({ accept: 7, reject: 8 });
  });

  it('rejects AQLs that do not name every class as own properties', () => {
    expect(() => inspectionPlan(100, { critical: 0, major: 2.5 } as typeof DEFAULT_AQLS)).toThrow('AQLs must give minor');
    const inherited = Object.create({ critical: 0, major: 2.5, minor: 4.0 }) as typeof DEFAULT_AQLS;
    expect(() => inspectionPlan(100, inherited)).toThrow('AQLs must give critical');
    expect(() => inspectionPlan(100, null as unknown as typeof DEFAULT_AQLS)).toThrow('AQLs must give critical, major and minor');
    expect(() => inspectionPlan(100, { critical: 0, major: 3, minor: 4.0 })).toThrow('unknown AQL 3');
  });

  it('rejects defect counts that are missing, inherited, negative or fractional', () => {
    const plan = inspectionPlan(1200);
    expect(() => judge(plan, { critical: 0, major: 1 } as unknown as { critical: number; major: number; minor: number })).toThrow(
      'defect counts must give minor',
    );
    const inherited = Object.create({ critical: 0, major: 0, minor: 0 }) as { critical: number; major: number; minor: number };
    expect(() => judge(plan, inherited)).toThrow('defect counts must give critical');
    expect(() => judge(plan, { critical: -1, major: 0, minor: 0 })).toThrow('critical defects must be a non-negative integer, got -1');
    expect(() => judge(plan, { critical: 0, major: 1.5, minor: 0 })).toThrow('major defects must be a non-negative integer, got 1.5');
    expect(() => judge(plan, { critical: 0, major: 0, minor: Number.NaN })).toThrow('minor defects must be a non-negative integer, got NaN');
    expect(() => judge(plan, null as unknown as { critical: number; major: number; minor: number })).toThrow(/defect counts must give/);
  });

  it('rejects a plan without a plan per class', () => {
    const plan = inspectionPlan(1200);
    const { critical: _critical, ...partial } = plan.classes;
    expect(() => judge({ ...plan, classes: partial } as typeof plan, { critical: 0, major: 0, minor: 0 })).toThrow(
      'inspection plan has no critical plan',
    );
    expect(() => judge(null as unknown as typeof plan, { critical: 0, major: 0, minor: 0 })).toThrow('judge needs an inspection plan');
  });
});
