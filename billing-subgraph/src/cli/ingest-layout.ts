/**
 * Decides how to read a CDR file: a named layout (--format), a recognised preset, the CSV formats'
 * own detection (Asterisk Master.csv, FreeSWITCH, cdr_custom/FreePBX with a header, generic),
 * or the operator's column mapping (--mapping / --column / --delimiter ...). A mapping given
 * with a layout overrides the layout's choices key by key.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import {
  CDR_FORMATS, detectLayout, detectPreset, looksLikeHeader, mergeSpecs, presetNamed, PRESET_NAMES, sampleOf,
  type CdrFormat, type CdrMappingSpec, type CsvReading, type LineReading, type Screen,
} from '../domain';
import { csvProblem, UnreadableFile } from './cdr-reader';

export const LAYOUT_NAMES = [...CDR_FORMATS, ...PRESET_NAMES];

export interface ResolvedLayout {
  /** The layout's name: a CSV format, a preset, or "mapping". */
  format: string;
  header: boolean;
  columns?: readonly string[];
  description: string;
  reading: CsvReading | LineReading;
  /** The mapping applied to each row; none: the row's own column names are read (CSV formats). */
  spec?: CdrMappingSpec;
  screen?: (named: Record<string, string>) => Screen;
}

const usage = (msg: string) => Object.assign(new Error(msg), { usage: true });

function head(file: string, bytes = 64 * 1024): { text: string; complete: boolean } {
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(bytes);
    const n = readSync(fd, buf, 0, bytes, 0);
    return { text: buf.subarray(0, n).toString('utf8'), complete: n < bytes };
  } finally {
    closeSync(fd);
  }
}

/** Keys of a mapping that change how the file is read (not only how values are interpreted). */
const readingOverrides = (u: CdrMappingSpec | undefined) => ({
  ...(u?.delimiter !== undefined ? { delimiter: u.delimiter } : {}),
  ...(u?.relaxQuotes !== undefined ? { relaxQuotes: u.relaxQuotes } : {}),
  ...(u?.header !== undefined ? { header: u.header } : {}),
  ...(u?.skipRows !== undefined ? { skipRows: u.skipRows } : {}),
  ...(u?.columns !== undefined ? { columns: u.columns } : {}),
});

const hasUserSpec = (u: CdrMappingSpec | undefined) => !!u && Object.values(u).some((v) => v !== undefined);

export function resolveLayout(file: string, format: string | undefined, user: CdrMappingSpec | undefined): ResolvedLayout {
  if (format !== undefined && !LAYOUT_NAMES.includes(format)) throw usage(`--format must be one of ${LAYOUT_NAMES.join(', ')}`);
  const { text, complete } = head(file);
  const sample = sampleOf(text, complete);
  if (sample.lines.length === 0) throw usage(`${file} holds no rows`);
  const how = format !== undefined ? '--format' : 'detected';

  const preset = format !== undefined ? presetNamed(format) : hasUserSpec(user) && (user!.columns || user!.header !== undefined) ? undefined : detectPreset(sample);
  if (preset) {
    const own = preset.readingFor?.(sample) ?? preset.reading;
    const reading = own.kind === 'csv' ? { ...own, ...readingOverrides(user) } : own;
    const header = reading.kind === 'csv' && reading.header;
    return {
      format: preset.name,
      header,
      columns: reading.columns,
      description: `${preset.description} (${how}${hasUserSpec(user) ? ', with the given mapping' : ''})`,
      reading,
      spec: mergeSpecs(preset.spec, user),
      screen: preset.screen,
    };
  }

  // The CSV formats: decided from the first record as parsed with the given delimiter.
  const delimiter = user?.delimiter ?? ',';
  let first: string[];
  try {
    const recs = parse(sample.lines.slice(0, 1).join('\n'), { bom: true, trim: delimiter !== '\t', relax_column_count: true, delimiter, relax_quotes: !!user?.relaxQuotes }) as string[][];
    first = recs[0] ?? [];
  } catch (err) {
    const problem = csvProblem(err);
    if (problem) throw new UnreadableFile(1, problem.problem);
    throw err;
  }
  const custom = hasUserSpec(user) && (user!.columns !== undefined || user!.header !== undefined || user!.delimiter !== undefined || user!.relaxQuotes !== undefined || user!.skipRows !== undefined);
  if (!custom || format !== undefined) {
    const decision = detectLayout(first, format as CdrFormat | undefined);
    if (decision.ok) {
      const l = decision.layout;
      const reading: CsvReading = { kind: 'csv', delimiter, relaxQuotes: !!user?.relaxQuotes, header: l.header, skipRows: user?.skipRows ?? 0, columns: l.columns };
      return { ...l, description: l.description + (hasUserSpec(user) ? ', with the given mapping' : ''), reading, spec: hasUserSpec(user) ? mergeSpecs(user) : undefined };
    }
    if (!hasUserSpec(user)) throw usage(decision.reason);
  }
  // The operator's own layout.
  const header = user!.header ?? (user!.columns === undefined && looksLikeHeader(first));
  const reading: CsvReading = { kind: 'csv', delimiter, relaxQuotes: !!user!.relaxQuotes, header, skipRows: user!.skipRows ?? 0, columns: user!.columns };
  if (!header && !user!.columns && !Object.values(user!.fields ?? {}).some((r) => typeof r === 'number' || (Array.isArray(r) && r.some((x) => typeof x === 'number')))) {
    throw usage('the file has no header row: name its columns (--mapping with "columns", or --column field=<position>)');
  }
  return {
    format: 'mapping',
    header,
    columns: user!.columns,
    description: `column mapping, ${header ? 'header row' : 'no header'}, delimiter ${JSON.stringify(delimiter)}${user!.relaxQuotes ? ', relaxed quotes' : ''}`,
    reading,
    spec: mergeSpecs(user),
  };
}
