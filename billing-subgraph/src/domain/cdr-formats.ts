/**
 * The CDR files switches write, as they write them. Asterisk's cdr_csv (Master.csv) and
 * FreeSWITCH's mod_cdr_csv default template have no header row: their columns are fixed by
 * position. Asterisk cdr_custom / cdr_adaptive_odbc / FreePBX exports and FreeSWITCH templates
 * with a header name their columns. Detection reads the first record only.
 */
export const CDR_FORMATS = ['asterisk', 'asterisk-custom', 'freeswitch', 'generic'] as const;
export type CdrFormat = (typeof CDR_FORMATS)[number];

/**
 * Asterisk cdr_csv Master.csv (cdr/cdr_csv.c build_csv_record), in order: 16 columns always, then
 * uniqueid and userfield when `loguniqueid`/`loguserfield` are on (cdr.conf [csv]; off by default),
 * then peeraccount, linkedid, sequence with `newcdrcolumns`: 16, 17, 18, 19, 20 or 21 columns.
 */
export const ASTERISK_MASTER_BASE = [
  'accountcode', 'src', 'dst', 'dcontext', 'clid', 'channel', 'dstchannel', 'lastapp', 'lastdata',
  'start', 'answer', 'end', 'duration', 'billsec', 'disposition', 'amaflags',
] as const;
export const ASTERISK_MASTER_COLUMNS = [...ASTERISK_MASTER_BASE, 'uniqueid', 'userfield'] as const;
export const ASTERISK_MASTER_EXTRA = ['peeraccount', 'linkedid', 'sequence'] as const;

/** Master.csv's column names for a row of `fields` (16-21 columns), or null for another count. */
export function asteriskMasterColumns(fields: string[]): readonly string[] | null {
  const n = fields.length;
  if (n < 16 || n > 21) return null;
  const newcdr = n >= 19 ? [...ASTERISK_MASTER_EXTRA] : [];
  const logged = n - 16 - newcdr.length;
  // One of uniqueid/userfield: a uniqueid is "<epoch>.<sequence>"; anything else is the userfield.
  const middle = logged === 2 ? ['uniqueid', 'userfield'] : logged === 1 ? [/^\d{9,10}\.\d+$/.test(fields[16]?.trim() ?? '') ? 'uniqueid' : 'userfield'] : [];
  return [...ASTERISK_MASTER_BASE, ...middle, ...newcdr];
}

/** FreeSWITCH mod_cdr_csv `default` template (cdr_csv.conf.xml), in order. */
export const FREESWITCH_DEFAULT_COLUMNS = [
  'caller_id_name', 'caller_id_number', 'destination_number', 'context', 'start_stamp', 'answer_stamp',
  'end_stamp', 'duration', 'billsec', 'hangup_cause', 'uuid', 'bleg_uuid', 'accountcode', 'read_codec', 'write_codec',
] as const;

export const FORMAT_DESCRIPTIONS: Record<CdrFormat, string> = {
  asterisk: 'Asterisk cdr_csv Master.csv',
  'asterisk-custom': 'Asterisk cdr_custom/cdr_adaptive_odbc or FreePBX export (header with calldate)',
  freeswitch: 'FreeSWITCH mod_cdr_csv',
  generic: 'generic CDR CSV with a header',
};

export interface FileLayout {
  format: CdrFormat;
  /** The file's first record is a header (its names are the columns). */
  header: boolean;
  /** Column names by position for a file without a header. */
  columns?: readonly string[];
  /** How the layout was decided, for the importer's first line. */
  description: string;
}

const norm = (h: string) => h.toLowerCase().replace(/[\s_-]+/g, '');
const DATE_TIME = /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}/;
const INT = /^\d+$/;
const isDateOrEmpty = (v: string | undefined) => v === undefined || v.trim() === '' || DATE_TIME.test(v.trim());

/** A header names columns: every field is a word, none a time, a number or a phone number. */
export function looksLikeHeader(fields: string[]): boolean {
  const filled = fields.map((f) => f.trim()).filter((f) => f !== '');
  return filled.length >= 2 && filled.every((f) => /^[A-Za-z][A-Za-z0-9_ .\-]*$/.test(f));
}

function asteriskPositional(fields: string[]): boolean {
  if (!asteriskMasterColumns(fields)) return false;
  return DATE_TIME.test(fields[9]?.trim() ?? '') && isDateOrEmpty(fields[10]) && DATE_TIME.test(fields[11]?.trim() ?? '') && INT.test(fields[12]?.trim() ?? '') && INT.test(fields[13]?.trim() ?? '');
}

function freeswitchPositional(fields: string[]): boolean {
  if (fields.length !== FREESWITCH_DEFAULT_COLUMNS.length) return false;
  return DATE_TIME.test(fields[4]?.trim() ?? '') && isDateOrEmpty(fields[5]) && DATE_TIME.test(fields[6]?.trim() ?? '') && INT.test(fields[7]?.trim() ?? '') && INT.test(fields[8]?.trim() ?? '');
}

function formatOfHeader(names: string[]): CdrFormat {
  const n = new Set(names.map(norm));
  if (n.has('calldate') && n.has('billsec')) return 'asterisk-custom';
  if (n.has('destinationnumber') || n.has('answerstamp') || n.has('startstamp')) return 'freeswitch';
  if (n.has('dst') && n.has('billsec') && n.has('answer') && n.has('disposition')) return 'asterisk';
  return 'generic';
}

export type LayoutDecision = { ok: true; layout: FileLayout } | { ok: false; reason: string };

/**
 * Decides the layout from the first record (its fields as parsed) and an optional `--format`.
 * Auto-detection only answers when the record is unambiguous; otherwise it says what it saw.
 */
export function detectLayout(first: string[], format?: CdrFormat): LayoutDecision {
  const header = looksLikeHeader(first);
  if (header) {
    const detected = formatOfHeader(first);
    const chosen = format ?? detected;
    return { ok: true, layout: { format: chosen, header: true, description: `${FORMAT_DESCRIPTIONS[chosen]}, header row${format ? ' (--format)' : ' (detected)'}` } };
  }
  const asterisk = asteriskPositional(first);
  const freeswitch = freeswitchPositional(first);
  const positional = (f: 'asterisk' | 'freeswitch', how: string): LayoutDecision => {
    const columns = f === 'freeswitch' ? FREESWITCH_DEFAULT_COLUMNS : asteriskMasterColumns(first)!;
    return { ok: true, layout: { format: f, header: false, columns, description: `${FORMAT_DESCRIPTIONS[f]}, no header, ${first.length} columns (${how})` } };
  };
  if (format === 'asterisk') {
    if (!asteriskMasterColumns(first)) return { ok: false, reason: `--format asterisk: the first row has ${first.length} columns, Master.csv has 16 to 21 (16 with cdr_csv's defaults; +uniqueid, +userfield, +peeraccount/linkedid/sequence)` };
    return positional('asterisk', '--format');
  }
  if (format === 'freeswitch') {
    if (first.length !== FREESWITCH_DEFAULT_COLUMNS.length) return { ok: false, reason: `--format freeswitch without a header: the first row has ${first.length} columns, the default template has ${FREESWITCH_DEFAULT_COLUMNS.length}; a custom template needs a header row naming its columns` };
    return positional('freeswitch', '--format');
  }
  if (format === 'asterisk-custom' || format === 'generic') {
    return { ok: false, reason: `--format ${format} needs a header row naming the columns; the first row looks like data (${first.slice(0, 4).join(', ')}, …)` };
  }
  if (asterisk) return positional('asterisk', 'detected');
  if (freeswitch) return positional('freeswitch', 'detected');
  return {
    ok: false,
    reason: `cannot tell the file's format: the first row is not a header and does not look like Asterisk Master.csv (16 to 21 columns, times in columns 10-12) or FreeSWITCH mod_cdr_csv (15 columns, times in columns 5-7); it has ${first.length} columns. Give --format <layout> (npm run ingest -- --layout lists them), a column mapping (--mapping FILE, or --column field=name|position with --delimiter, --time-format), or add a header row`,
  };
}

/** Asterisk dispositions of calls that never connected: skipped, not rejected. */
export const UNANSWERED_DISPOSITIONS = new Set(['NO ANSWER', 'NOANSWER', 'BUSY', 'FAILED', 'CONGESTION']);
