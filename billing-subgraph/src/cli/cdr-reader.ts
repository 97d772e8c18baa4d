/**
 * Reads a CDR file's rows as its layout says (CSV/TSV through csv-parse, CSV whose quotes are not
 * doubled, or one record per line: SQL INSERTs, acc log lines, JSON lines), streaming. A file
 * the layout cannot read stops with `UnreadableFile`: the line, the problem in plain words and
 * the options that read other layouts — never a parser's raw message.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { parse } from 'csv-parse';
import { parseAccLine, parseSqlInsert, splitRelaxed, type CsvReading, type LineReading, type LineRecord } from '../domain';

export const LAYOUT_HINT = 'if the switch writes its file this way, name its layout with --format (npm run ingest -- --layout lists them) or describe it: --mapping FILE, --delimiter, --relax-quotes (quotes inside fields not doubled), --skip-rows';

export class UnreadableFile extends Error {
  readonly usage = true;
  constructor(readonly line: number, readonly problem: string) {
    super(`line ${line}: ${problem}; ${LAYOUT_HINT}`);
  }
}

export interface FileRow {
  /** Values by position. */
  values: string[];
  /** Values by column name. */
  named: Record<string, string>;
  /** Line of the file where the row starts (1-based). */
  line: number;
  raw: string;
}

const CSV_PROBLEMS: Record<string, string> = {
  CSV_INVALID_CLOSING_QUOTE: 'a quote inside a quoted field is not doubled (the field seems to end before its closing quote)',
  CSV_QUOTE_NOT_CLOSED: 'a quoted field is never closed',
  CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE: 'text follows the closing quote of a field',
  CSV_INVALID_OPENING_QUOTE: 'a quote appears inside an unquoted field',
  CSV_RECORD_INCONSISTENT_FIELDS_LENGTH: 'the row has another number of fields than the header',
  CSV_INVALID_RECORD_LENGTH_DONT_MATCH_COLUMNS: 'the row has another number of fields than the header',
};

/** Turns a csv-parse error into the file's line and the problem, or null for another error. */
export function csvProblem(err: unknown): UnreadableFile | null {
  const e = err as { code?: string; lines?: number; message?: string };
  if (typeof e?.code !== 'string' || !e.code.startsWith('CSV_')) return null;
  return new UnreadableFile(e.lines ?? 0, CSV_PROBLEMS[e.code] ?? `the file is not CSV as expected (${e.code.replace(/^CSV_/, '').toLowerCase().replace(/_/g, ' ')})`);
}

const nameRow = (columns: readonly string[] | undefined, values: string[]): Record<string, string> => {
  const named: Record<string, string> = {};
  (columns ?? []).forEach((c, i) => {
    if (values[i] !== undefined && !(c in named)) named[c] = values[i];
  });
  return named;
};

export interface ReadOptions {
  /** Lines that are not records (acc: other log output): counted, not rows. */
  onIgnored?: (line: number) => void;
  /** The header's names when the layout has a header row. */
  onHeader?: (names: string[]) => void;
}

/** The rows of `file`; the header (and skipped rows) are consumed, not yielded. */
export async function* readRows(file: string, reading: CsvReading | LineReading, opts: ReadOptions = {}): AsyncGenerator<FileRow> {
  if (reading.kind === 'csv' && !reading.relaxQuotes) {
    const parser = createReadStream(file).pipe(
      parse({ bom: true, skip_empty_lines: true, trim: reading.delimiter !== '\t', relax_column_count: true, info: true, raw: true, delimiter: reading.delimiter }),
    );
    let columns = reading.header ? undefined : reading.columns ?? [];
    let skip = reading.skipRows;
    try {
      for await (const item of parser as AsyncIterable<{ record: string[]; raw: string; info: { lines: number } }>) {
        if (!columns) {
          columns = item.record.map((c) => c.trim());
          opts.onHeader?.([...columns]);
          continue;
        }
        if (skip > 0) {
          skip--;
          continue;
        }
        yield { values: item.record, named: nameRow(columns, item.record), line: item.info.lines, raw: item.raw.replace(/\r?\n$/, '') };
      }
    } catch (err) {
      throw csvProblem(err) ?? err;
    } finally {
      parser.destroy();
    }
    return;
  }

  const input = createReadStream(file, { encoding: 'utf8' });
  const lines = createInterface({ input, crlfDelay: Infinity });
  let n = 0;
  let columns: readonly string[] | undefined = reading.kind === 'csv' && reading.header ? undefined : reading.columns ?? [];
  let skip = reading.kind === 'csv' ? reading.skipRows : 0;
  try {
    for await (const text of lines) {
      n++;
      const line = n === 1 ? text.replace(/^\uFEFF/, '') : text;
      if (line.trim() === '') continue;
      if (reading.kind === 'csv') {
        const values = splitRelaxed(line, reading.delimiter, columns?.length || undefined).map((v) => (reading.delimiter === '\t' ? v : v.trim()));
        if (!columns) {
          columns = values;
          opts.onHeader?.([...values]);
          continue;
        }
        if (skip > 0) {
          skip--;
          continue;
        }
        yield { values, named: nameRow(columns, values), line: n, raw: line };
        continue;
      }
      const rec: LineRecord = reading.parser === 'sql-insert' ? parseSqlInsert(line) : parseAccLine(line);
      if (rec === null) {
        opts.onIgnored?.(n);
        continue;
      }
      if (!rec.ok) throw new UnreadableFile(n, rec.problem);
      if (reading.parser === 'sql-insert' && columns?.length && rec.values.length !== columns.length) {
        throw new UnreadableFile(n, `the INSERT has ${rec.values.length} values; the template has ${columns.length} (${columns.join(', ')})`);
      }
      yield { values: rec.values, named: rec.named ?? nameRow(columns, rec.values), line: n, raw: line };
    }
  } finally {
    lines.close();
    input.destroy();
  }
}
