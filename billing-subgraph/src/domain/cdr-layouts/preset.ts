/** What a layout preset is: how its file is read, how its columns map, and how it is recognised. */
import type { CdrMappingSpec } from '../cdr-mapping';

export interface CsvReading {
  kind: 'csv';
  delimiter: string;
  /** Quotes inside fields are written as they are (not doubled). */
  relaxQuotes: boolean;
  /** The first record names the columns. */
  header: boolean;
  /** Records after the header that are not data (CUCM's row of types). */
  skipRows: number;
  /** Column names by position when there is no header. */
  columns?: readonly string[];
}

export interface LineReading {
  kind: 'lines';
  /** sql-insert: `INSERT INTO t VALUES (...);` per line; acc: key=value; log lines or JSON lines. */
  parser: 'sql-insert' | 'acc';
  /** Names of the positional values (sql-insert). */
  columns?: readonly string[];
}

/** The first lines of a file, for recognising its layout. */
export interface FileSample {
  /** Non-empty lines (BOM removed), at most 20. */
  lines: string[];
}

/** A row the preset knows is not a call to bill (skipped) or cannot be billed as written (rejected). */
export type Screen = null | { skip: boolean; reason: string };

export interface CdrPreset {
  name: string;
  description: string;
  /** Where the layout comes from (the product's source file or documentation). */
  source: string;
  reading: CsvReading | LineReading;
  /** A reading other than `reading` for some of the preset's files (Kamailio: acc_cdrs CSV exports). */
  readingFor?: (s: FileSample) => CsvReading | LineReading;
  spec: CdrMappingSpec;
  detect: (s: FileSample) => boolean;
  screen?: (named: Record<string, string>) => Screen;
}

export const normName = (h: string) => h.toLowerCase().replace(/[\s_"-]+/g, '');
/** Header names of a CSV line (naive split, quotes dropped), normalised. */
export const headerNames = (line: string | undefined, delimiter = ','): Set<string> => new Set((line ?? '').split(delimiter).map((h) => normName(h.trim())));
export const hasAll = (names: Set<string>, ...want: string[]) => want.every((w) => names.has(normName(w)));
export const DATE_TIME = /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}/;
