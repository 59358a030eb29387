import { WeightedTable } from '../random/weighted-table';
import { ACCENTED_NAME_FORMS } from '../text/accents';
import { titleCase } from '../text/title-case';
import { lazy, readDataCsv } from './data-files';

export type Gender = 'female' | 'male';

export interface CensusName {
  /** As in the census files: upper case, ASCII. */
  name: string;
  /** Title case, e.g. "Mary". */
  display: string;
  /** The accented spelling some owners of the name use, e.g. "José" for JOSE. */
  accented: string | undefined;
  /** Share of the population (of the gender, for first names) with this name, from 0 to 1. */
  share: number;
}

export interface CensusNames {
  firstNames: Record<Gender, WeightedTable<CensusName>>;
  /** Share of each gender in the census first-name files (their totals differ slightly). */
  genders: WeightedTable<Gender>;
  surnames: WeightedTable<CensusName>;
  /** The most frequent first names per gender, for the second half of compound names like "Mary Ann". */
  commonFirstNames: Record<Gender, readonly string[]>;
  /** The most frequent surnames, for firm names like "Smith, Jones & Co". */
  commonSurnames: readonly string[];
}

const COMMON_LIST_SIZE = 200;

/**
 * Frequencies are rounded to 0.001%, so rare names read as 0.000. For each run of such names, spread the
 * cumulative frequency the run adds evenly over its names instead of never drawing them.
 */
export function frequencyWeights(rows: readonly { frequency: number; cumulative: number }[]): number[] {
  const weights = rows.map((row) => row.frequency);
  let runStart = -1;
  const closeRun = (runEnd: number): void => {
    const before = runStart > 0 ? (rows[runStart - 1]?.cumulative ?? 0) : 0;
    const after = rows[runEnd - 1]?.cumulative ?? before;
    const share = Math.max(after - before, 0.0005) / (runEnd - runStart);
    for (let position = runStart; position < runEnd; position++) {
      weights[position] = share;
    }
    runStart = -1;
  };
  rows.forEach((row, position) => {
    if (row.frequency <= 0 && runStart < 0) {
      runStart = position;
    } else if (row.frequency > 0 && runStart >= 0) {
      closeRun(position);
    }
  });
  if (runStart >= 0) {
    closeRun(rows.length);
  }
  return weights;
}

function toFrequencyRows(records: readonly Record<string, string>[]): { name: string; frequency: number; cumulative: number }[] {
  return records.map((record) => ({
    name: record.name ?? '',
    frequency: Number(record.frequency),
    cumulative: Number(record.cumulative_frequency),
  }));
}

function weightedNames(rows: readonly { name: string; frequency: number; cumulative: number }[]): WeightedTable<CensusName> {
  const weights = frequencyWeights(rows);
  return new WeightedTable(
    rows.map((row, position) => {
      const percent = weights[position] ?? 0;
      const censusName: CensusName = {
        name: row.name,
        display: titleCase(row.name),
        accented: ACCENTED_NAME_FORMS[row.name],
        share: percent / 100,
      };
      return [censusName, percent] as const;
    }),
  );
}

export const censusNames = lazy((): CensusNames => {
  const firstNameRecords = readDataCsv('census-1990-first-names.csv');
  const byGender = (gender: Gender) => toFrequencyRows(firstNameRecords.filter((record) => record.gender === gender));
  const female = byGender('female');
  const male = byGender('male');
  const surnames = toFrequencyRows(readDataCsv('census-1990-surnames-top20000.csv'));
  const total = (rows: readonly { frequency: number }[]) => rows.reduce((sum, row) => sum + row.frequency, 0);
  return {
    firstNames: { female: weightedNames(female), male: weightedNames(male) },
    genders: new WeightedTable<Gender>([
      ['female', total(female)],
      ['male', total(male)],
    ]),
    surnames: weightedNames(surnames),
    commonFirstNames: {
      female: female.slice(0, COMMON_LIST_SIZE).map((row) => row.name),
      male: male.slice(0, COMMON_LIST_SIZE).map((row) => row.name),
    },
    commonSurnames: surnames.slice(0, COMMON_LIST_SIZE).map((row) => row.name),
  };
});
