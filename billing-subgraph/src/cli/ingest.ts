/**
 * `npm run ingest -- <file> [--format <layout>] [--mapping FILE] [--column field=col ...] [--delimiter C]
 *                    [--relax-quotes] [--header|--no-header] [--skip-rows N] [--time-format F] [--duration-unit s|ms]
 *                    [--timezone ZONE] [--country-code CC] [--international-prefix P] [--source S] [--buyer ID]
 *                    [--carrier ID] [--trunk-map FILE] [--min-destination-digits N] [--internal-pattern REGEX]
 *                    [--equipment ID] [--url URL] [--token T] [--batch N] [--checkpoint FILE]
 *                    [--restart] [--no-progress]` (`--help`, `--layout`)
 *
 * Imports a switch's CDR file as the switch wrote it (layouts: src/domain/cdr-formats.ts and
 * src/domain/cdr-layouts/, detected from the first lines unless --format is given; any other layout
 * through a column mapping, src/domain/cdr-mapping.ts) through the billing GraphQL API
 * (`ingestUsage`), never the database. The file is streamed (cli/cdr-reader.ts) in batches; after every
 * batch a checkpoint (kept outside the repository, ingest-target.ts) records how many rows are done and
 * the options they were read with, so an interrupted import resumes where it stopped and a run with
 * other options says so instead of resuming. Record ids are deterministic, so rows sent twice (a crash between a
 * batch and its checkpoint) count as duplicates, never twice, and the summary says so.
 *
 * Exit codes: 0 every row accepted or skipped; 3 the file was imported but rows were rejected
 * (listed, and kept for `rejectedUsage`); 1 the import stopped on a network/server failure
 * (resumable); 2 bad usage, or a file its layout cannot read (the line and the problem).
 * Relative paths are resolved from INIT_CWD (where `npm run` was typed) or the working folder.
 *
 * URL: --url, BILLING_URL, else http://BILLING_HOST:BILLING_PORT/graphql (127.0.0.1:4002), checked before the
 * file is read (ingest-target.ts); token: --token or
 * BILLING_TOKEN (a BILLING_AGENT, ADMIN or MODERATOR token, e.g. `npm run token -- --role BILLING_AGENT --sub agent`).
 */
import { createHash } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync, readSync, renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { SingleBar, Presets } from 'cli-progress';
import { canonicalRow, CDR_CSV_LAYOUT, checkMappingSpec, DEFAULT_MIN_DESTINATION_DIGITS, diallingPlan, isTimeZone, mapCdrRow, MAPPED_FIELDS, resolveColumns, USAGE_SOURCES, type CdrMappingSpec, type ColumnRef, type DiallingPlan, type MappedField, type TrunkMap, type UsageSource } from '../domain';
import { readRows, UnreadableFile } from './cdr-reader';
import { LAYOUT_NAMES, resolveLayout, type ResolvedLayout } from './ingest-layout';
import { PRESETS_TEXT } from './ingest-help';
import { rowOptions } from './row-options';
import { billingTarget, checkBilling, defaultCheckpoint, describeChanges, type RowDecidingOptions } from './ingest-target';

/** Refused/skipped rows held back at most this long waiting for a record to be sent with. */
const HELD_ROWS_MAX = 10_000;

export interface IngestOptions {
  file: string;
  url: string;
  token: string;
  source: UsageSource;
  buyerId?: string;
  carrierId?: string;
  equipmentId?: string;
  /** The file's layout (a CSV format or a preset); detected from the first lines when absent. */
  format?: string;
  /** The operator's column mapping (--mapping FILE and the column options), applied over the layout. */
  mapping?: CdrMappingSpec;
  /** IANA zone of the switch's zoneless times; UTC when absent. */
  timeZone?: string;
  /** The switch's dialling conventions (international prefix, country code). */
  dialling?: DiallingPlan;
  /** Carrier per outgoing trunk (--trunk-map): rows it does not map are refused. */
  trunkMap?: TrunkMap;
  /** Fewest digits of a billable destination (--min-destination-digits). */
  minDestinationDigits?: number;
  /** The PBX's internal numbers (--internal-pattern). */
  internalPattern?: RegExp;
  batchSize: number;
  checkpointPath: string;
  /** The options that decide what a row becomes, recorded in the checkpoint (ingest-target.ts). */
  rowOptions?: RowDecidingOptions;
  restart: boolean;
  progress: boolean;
  /** Stop after this many batches (tests simulate an interruption). */
  maxBatches?: number;
  /** Checked after each batch: true stops the import there (Ctrl-C), resumable. */
  stopRequested?: () => boolean;
  log?: (line: string) => void;
}

export interface IngestSummary {
  rows: number;
  accepted: number;
  /** Accepted and associated with a request (rated). */
  associated: number;
  /** Accepted but parked UNASSOCIATED, by reason: billed once a selection record matches. */
  parked: Record<string, number>;
  duplicates: number;
  /** Of the duplicates: rows of the batch in flight when the previous run stopped, stored by it. */
  alreadyStored: number;
  rejected: number;
  skipped: number;
  /** Of the skipped: rows that are no billable call, by why (internal extension, feature code, …); the rest were not answered. */
  skippedByReason: Record<string, number>;
  resumedFrom: number;
  complete: boolean;
  layout: ResolvedLayout;
  /** Lines that were not records (other log output in an acc log). */
  ignoredLines: number;
  /** Some times had no zone and were read in `timeZone` (UTC when none was given). */
  zonelessTimes: boolean;
  rejections: { line: number; recordId: string | null; reason: string }[];
}

interface Checkpoint {
  fingerprint: string;
  rowsDone: number;
  accepted: number;
  parked: Record<string, number>;
  duplicates: number;
  alreadyStored: number;
  rejected: number;
  skipped: number;
  skippedByReason?: Record<string, number>;
  complete: boolean;
  /** Data rows (first, last) of the batch being sent: on resume its duplicates were stored by this run. */
  inFlight?: { from: number; to: number } | null;
  /** The options the import was made with (absent in checkpoints of earlier versions). */
  options?: RowDecidingOptions;
  /** A declared correction in progress (--restart with changed options): a resumed run goes on correcting. */
  correcting?: boolean;
}

const INGEST = `mutation($records: [UsageRecordInput!]!, $importerRejections: [ImporterRejectionInput!], $correctParked: Boolean) { ingestUsage(records: $records, importerRejections: $importerRejections, correctParked: $correctParked) { accepted duplicates rejected { index recordId reason } parked { index recordId reason } } }`;

interface IngestAnswer {
  accepted: number;
  duplicates: number;
  rejected: { index: number; recordId: string | null; reason: string }[];
  parked: { index: number; recordId: string; reason: string }[];
}

/** Identifies the file: size + sha256 of its first MiB (a changed file never resumes a stale checkpoint). */
function fingerprint(file: string): string {
  const size = statSync(file).size;
  const head = Buffer.alloc(Math.min(size, 1 << 20));
  const fd = openSync(file, 'r');
  try {
    readSync(fd, head, 0, head.length, 0);
  } finally {
    closeSync(fd);
  }
  return `${size}:${createHash('sha256').update(head).digest('hex')}`;
}

async function send(opts: IngestOptions, records: unknown[], importerRejections: unknown[], correctParked: boolean): Promise<IngestAnswer> {
  for (let attempt = 1; ; attempt++) {
    try {
      const res = await fetch(opts.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${opts.token}` },
        body: JSON.stringify({ query: INGEST, variables: { records, importerRejections, ...(correctParked ? { correctParked } : {}) } }),
      });
      const body = (await res.json()) as { data?: { ingestUsage: IngestAnswer }; errors?: { message: string; extensions?: { code?: string } }[] };
      if (body.errors?.length) {
        const err = new Error(body.errors.map((e) => `${e.extensions?.code ?? 'ERROR'}: ${e.message}`).join('; '));
        // Authentication/authorization/input errors will not heal by retrying.
        if (body.errors.some((e) => ['UNAUTHENTICATED', 'FORBIDDEN', 'BAD_USER_INPUT'].includes(e.extensions?.code ?? ''))) throw Object.assign(err, { fatal: true });
        throw err;
      }
      return body.data!.ingestUsage;
    } catch (err) {
      if ((err as { fatal?: boolean }).fatal) throw err;
      if (attempt >= 5) {
        // fetch says only "fetch failed": the operator needs the address and the reason.
        const cause = (err as { cause?: { code?: string } }).cause?.code;
        throw cause ? new Error(`billing at ${opts.url} did not answer (${cause}) after ${attempt} attempts`) : err;
      }
      await new Promise((r) => setTimeout(r, 500 * 2 ** (attempt - 1)));
    }
  }
}

/** No --buyer and the rows carry no buyer_id: a usage error, before anything is sent. */
export class MissingBuyer extends Error {
  readonly usage = true;
  constructor() {
    super('--buyer is required: the rows of this file carry no buyer_id column (give --buyer ID, or map a column to buyer_id)');
  }
}

/** One file row to a usage record: the layout's screen, its mapping to the canonical row, then mapCdrRow. */
export function mapRow(item: { values: string[]; named: Record<string, string>; line: number }, layout: ResolvedLayout, defaults: Parameters<typeof mapCdrRow>[2]): ReturnType<typeof mapCdrRow> & { row?: Record<string, string> } {
  const screened = layout.screen?.(item.named);
  if (screened) return { ok: false, lineNumber: item.line, skipped: screened.skip, reason: screened.reason };
  if (!layout.spec) return mapCdrRow(item.named, item.line, defaults);
  const c = canonicalRow(item.values, item.named, layout.spec);
  if (!c.ok) return { ok: false, lineNumber: item.line, skipped: false, reason: c.reason };
  return { ...mapCdrRow(c.row, item.line, defaults), row: c.row };
}

export class IngestStopped extends Error {
  constructor(message: string, readonly summary: IngestSummary) {
    super(message);
  }
}

export async function runIngest(opts: IngestOptions): Promise<IngestSummary> {
  const log = opts.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  let layout: ResolvedLayout;
  try {
    layout = resolveLayout(opts.file, opts.format, opts.mapping);
  } catch (err) {
    if (err instanceof UnreadableFile) throw Object.assign(new Error(`${opts.file} ${err.message}\nnothing was sent`), { usage: true });
    throw err;
  }
  log(`format: ${layout.description}`);
  if ((layout.format === 'asterisk' || layout.format === 'asterisk-custom') && opts.equipmentId === undefined) {
    log('note: an Asterisk uniqueid is unique on one switch only; name the switch with --equipment so two PBXs\' calls with the same id are both billed (the same id with other contents is refused as a conflict)');
  }

  const fp = fingerprint(opts.file);
  const fileKey = createHash('sha256').update(fp).digest('hex').slice(0, 16);
  let cp: Checkpoint = { fingerprint: fp, rowsDone: 0, accepted: 0, parked: {}, duplicates: 0, alreadyStored: 0, rejected: 0, skipped: 0, complete: false, options: opts.rowOptions };
  // --restart after an import of this very file with other options is a declared correction:
  // billing then replaces the records of it still parked UNASSOCIATED (never rated or billed ones).
  let correctParked = false;
  if (opts.restart && existsSync(opts.checkpointPath)) {
    const saved = JSON.parse(readFileSync(opts.checkpointPath, 'utf8')) as Checkpoint;
    const changed = saved.fingerprint === fp && saved.options && opts.rowOptions ? describeChanges(saved.options, opts.rowOptions) : [];
    if (changed.length) {
      correctParked = true;
      cp.correcting = true;
      log(`correction of the import made with other options (${changed.join('; ')}): records of this file still parked UNASSOCIATED are replaced; rated or billed ones are kept (conflicts)`);
    }
  }
  if (!opts.restart && existsSync(opts.checkpointPath)) {
    const saved = JSON.parse(readFileSync(opts.checkpointPath, 'utf8')) as Checkpoint;
    if (saved.fingerprint === fp) {
      const changed = saved.options && opts.rowOptions ? describeChanges(saved.options, opts.rowOptions) : [];
      if (changed.length) {
        // Resuming (or skipping a finished file) with other options would mix two imports in one.
        const done = saved.complete ? 'was imported completely' : `was imported up to row ${saved.rowsDone}`;
        throw Object.assign(
          new Error(
            `${opts.file} ${done} with other options (checkpoint ${opts.checkpointPath}): ${changed.join('; ')}\n` +
              'the rows already sent keep the old options. To import the whole file again with the new ones, add --restart: ' +
              'records still parked UNASSOCIATED are replaced by the corrected ones, records already billed are kept and reported as conflicts. ' +
              'To go on with the old options, run the command as it was.\nnothing was sent',
          ),
          { usage: true },
        );
      }
      cp = { ...cp, ...saved, parked: saved.parked ?? {}, alreadyStored: saved.alreadyStored ?? 0, skippedByReason: saved.skippedByReason ?? {}, options: opts.rowOptions ?? saved.options };
      if (saved.correcting && !saved.complete) correctParked = true;
    } else log(`checkpoint ${opts.checkpointPath} belongs to another version of the file; starting over`);
  }
  if (cp.complete) log(`${opts.file} was imported completely before with these options (checkpoint ${opts.checkpointPath}): nothing to do; --restart imports it again (only duplicates, never charged twice)`);
  const resumedFrom = cp.rowsDone;
  // The batch the last run sent without recording its answer: the API stored it (or part of it),
  // so its rows come back as duplicates now. They are counted apart, not as lost calls.
  const inFlight = !cp.complete ? cp.inFlight ?? null : null;
  if ((resumedFrom > 0 || inFlight) && !cp.complete) {
    log(`resuming after row ${resumedFrom} (checkpoint ${opts.checkpointPath})` + (inFlight ? `; rows ${inFlight.from}-${inFlight.to} were in flight when the last run stopped: those already stored count as duplicates, never twice` : ''));
  }
  const save = () => {
    const tmp = `${opts.checkpointPath}.tmp`;
    writeFileSync(tmp, JSON.stringify(cp, null, 2));
    renameSync(tmp, opts.checkpointPath);
  };

  const total = statSync(opts.file).size;
  const bar = opts.progress ? new SingleBar({ format: 'ingest |{bar}| {percentage}% | {rows} rows | accepted {accepted} dup {duplicates} rejected {rejected}', stream: process.stderr }, Presets.shades_classic) : null;
  bar?.start(total, 0, { rows: cp.rowsDone, accepted: cp.accepted, duplicates: cp.duplicates, rejected: cp.rejected });
  let ignoredLines = 0;
  let transactionRecords = 0;
  let bytes = 0;
  const rows = readRows(opts.file, layout.reading, { onIgnored: () => ignoredLines++ });

  const rejections: IngestSummary['rejections'] = [];
  let batch: { record: unknown; line: number }[] = [];
  let refused: { key: string; line: number; recordId: null; source: UsageSource; reason: string; raw: string }[] = [];
  let pendingSkipped = 0;
  // Rows that are no billable call: counted as skipped, and kept with their reason (importerRejections) so they can be listed.
  let notBillable: typeof refused = [];
  let pendingSkippedBy: Record<string, number> = {};
  let unsentRefusals = 0;
  let row = 0;
  let batches = 0;
  let stopped = false;
  let zonelessTimes = false;
  const flush = async () => {
    if (batch.length === 0 && refused.length + notBillable.length > 0) {
      // Billing keeps refused rows only beside records of the same file (a batch without records is
      // refused): rows held back this long with no record to go with stay in this summary.
      cp.rejected += refused.length;
      unsentRefusals += refused.length + notBillable.length;
    } else if (batch.length > 0) {
      cp.inFlight = { from: cp.rowsDone + 1, to: row };
      save();
      const out = await send(opts, batch.map((b) => b.record), [...refused, ...notBillable], correctParked);
      cp.accepted += out.accepted;
      cp.duplicates += out.duplicates;
      if (inFlight && cp.rowsDone + 1 <= inFlight.to) cp.alreadyStored += out.duplicates;
      cp.rejected += out.rejected.length + refused.length;
      for (const r of out.rejected) rejections.push({ line: batch[r.index].line, recordId: r.recordId, reason: r.reason });
      for (const p of out.parked) cp.parked[p.reason] = (cp.parked[p.reason] ?? 0) + 1;
    }
    cp.skipped += pendingSkipped;
    pendingSkipped = 0;
    cp.skippedByReason ??= {};
    for (const [k, n] of Object.entries(pendingSkippedBy)) cp.skippedByReason[k] = (cp.skippedByReason[k] ?? 0) + n;
    pendingSkippedBy = {};
    notBillable = [];
    cp.rowsDone = row;
    cp.inFlight = null;
    batch = [];
    refused = [];
    batches++;
    save();
  };
  const defaults = { source: opts.source, buyerId: opts.buyerId, carrierId: opts.carrierId, equipmentId: opts.equipmentId, timeZone: opts.timeZone, dialling: opts.dialling, trunkMap: opts.trunkMap, minDestinationDigits: opts.minDestinationDigits, internalPattern: opts.internalPattern };
  let sentAny = false;
  try {
    for await (const item of rows) {
      row++;
      bytes += Buffer.byteLength(item.raw) + 1;
      bar?.update(bytes, { rows: row, accepted: cp.accepted, duplicates: cp.duplicates, rejected: cp.rejected });
      if (row <= resumedFrom) continue;
      const m = mapRow(item, layout, defaults);
      if (!sentAny && !opts.buyerId) {
        // Without --buyer every row needs its own buyer_id: a file without that column is a usage error, found before anything is sent.
        const named = m.row ?? item.named;
        if (!resolveColumns(Object.keys(named)).columns.buyer_id && layout.spec?.fields?.buyer_id === undefined) throw new MissingBuyer();
      }
      sentAny = true;
      if (m.ok) {
        batch.push({ record: m.record, line: m.lineNumber });
        if (m.zoneless) zonelessTimes = true;
      } else if (m.skipped) {
        pendingSkipped++;
        if (m.reason.startsWith('an INVITE transaction record')) transactionRecords++;
        if (m.category !== undefined) {
          pendingSkippedBy[m.category] = (pendingSkippedBy[m.category] ?? 0) + 1;
          notBillable.push({ key: `${fileKey}:${m.lineNumber}`, line: m.lineNumber, recordId: null, source: opts.source, reason: `skipped, not billed: ${m.reason}`, raw: item.raw.replace(/\r?\n$/, '') });
        }
      } else {
        refused.push({ key: `${fileKey}:${m.lineNumber}`, line: m.lineNumber, recordId: null, source: opts.source, reason: m.reason, raw: item.raw.replace(/\r?\n$/, '') });
        rejections.push({ line: m.lineNumber, recordId: null, reason: m.reason });
      }
      // A resumed run first sends exactly the rows that were in flight, so their duplicates are told apart.
      const inFlightEnd = inFlight && cp.rowsDone < inFlight.to && row === inFlight.to;
      // Refused and skipped rows wait for records to travel with (see flush), up to a bound.
      const full = batch.length > 0 ? batch.length + refused.length + notBillable.length >= opts.batchSize : refused.length + notBillable.length >= HELD_ROWS_MAX;
      if (full || inFlightEnd) {
        await flush();
        if ((opts.maxBatches !== undefined && batches >= opts.maxBatches) || opts.stopRequested?.()) {
          stopped = true;
          await rows.return(undefined);
          break;
        }
      }
    }
    if (!stopped) {
      await flush();
      cp.complete = true;
      save();
    }
  } catch (err) {
    bar?.stop();
    if (err instanceof MissingBuyer) throw err;
    if (err instanceof UnreadableFile) {
      // The file, not the network: running again fails the same way until the layout is named.
      const done = cp.rowsDone > 0 ? `\nthe ${cp.rowsDone} rows before it were imported (checkpoint ${opts.checkpointPath}); nothing after them was sent` : '\nnothing was sent';
      throw Object.assign(new Error(`${opts.file} ${err.message}${done}`), { usage: true });
    }
    const summary = summarise();
    throw new IngestStopped(`${(err as Error).message}\nstopped after row ${cp.rowsDone}: the rows up to it are stored (checkpoint ${opts.checkpointPath}); run the same command again to resume after row ${cp.rowsDone}`, summary);
  }
  bar?.stop();
  if (transactionRecords > 0 && cp.accepted + cp.duplicates + cp.rejected === 0) {
    log(`note: ${transactionRecords} acc transaction records (ACC: lines) were passed over and the file holds no CDR: a transaction record has no duration; enable the acc module's cdr_enable (with cdr_log_enable or acc_cdrs) and import those CDRs`);
  }
  if (ignoredLines > 0) log(`note: ${ignoredLines} lines were not accounting records (other log output) and were passed over`);
  if (stopped) log(`stopped after row ${cp.rowsDone} (checkpoint ${opts.checkpointPath}): run the same command again to resume after row ${cp.rowsDone}, or add --restart to start over`);
  if (unsentRefusals) log(`note: ${unsentRefusals} refused or skipped rows had no accepted record in their file section; billing did not store them (the refused ones are listed in this summary)`);
  if (zonelessTimes && !opts.timeZone) log('note: times without a zone were read as UTC; if the switch writes its local time, run again with --timezone <IANA zone> --restart');
  return summarise();

  function summarise(): IngestSummary {
    const parkedTotal = Object.values(cp.parked).reduce((a, b) => a + b, 0);
    return {
      rows: cp.rowsDone,
      accepted: cp.accepted,
      associated: cp.accepted - parkedTotal,
      parked: { ...cp.parked },
      duplicates: cp.duplicates,
      alreadyStored: cp.alreadyStored,
      rejected: cp.rejected,
      skipped: cp.skipped,
      skippedByReason: { ...(cp.skippedByReason ?? {}) },
      resumedFrom,
      complete: cp.complete,
      layout,
      ignoredLines,
      zonelessTimes,
      rejections,
    };
  }
}

/** The summary the CLI prints (stdout): accepted split into associated and parked, and what every other row became. */
export function summaryText(s: IngestSummary): string {
  const parked = Object.entries(s.parked).sort((a, b) => b[1] - a[1]);
  const parkedTotal = parked.reduce((a, [, n]) => a + n, 0);
  const lines = [
    `rows ${s.rows}${s.resumedFrom ? ` (resumed after row ${s.resumedFrom})` : ''}${s.complete ? '' : ' — INCOMPLETE'}`,
    `  accepted ${s.accepted}: associated and rated ${s.associated}, parked UNASSOCIATED ${parkedTotal}${parked.length ? ` (${parked.map(([r, n]) => `${r} ${n}`).join(', ')}; billed once a selection record matches, listed by usageRecords(filter: {status: UNASSOCIATED}))` : ''}`,
    `  duplicates ${s.duplicates}${s.alreadyStored ? ` (${s.alreadyStored} of them stored by the interrupted run: the batch in flight when it stopped, not lost)` : ''}`,
    `  rejected ${s.rejected}${s.rejected ? ' (each listed above and by the rejectedUsage query)' : ''}`,
    skippedLine(s),
  ];
  return lines.join('\n');
}

function skippedLine(s: IngestSummary): string {
  const by = Object.entries(s.skippedByReason).sort((a, b) => b[1] - a[1]);
  const notBillable = by.reduce((a, [, n]) => a + n, 0);
  if (notBillable === 0) return `  skipped ${s.skipped} (not answered: nothing to bill)`;
  return `  skipped ${s.skipped} (not answered ${s.skipped - notBillable}; no billable call: ${by.map(([r, n]) => `${r} ${n}`).join(', ')} — never billed, each kept with its reason for the rejectedUsage query)`;
}


const mergeMapping = (a: CdrMappingSpec | undefined, b: CdrMappingSpec): CdrMappingSpec => ({ ...a, ...b, ...(a?.fields || b.fields ? { fields: { ...a?.fields, ...b.fields } } : {}) });

const USAGE = `usage: npm run ingest -- <file> [--format <layout>] [--mapping FILE.json] [--column field=name|position ...]
       [--delimiter C] [--relax-quotes] [--header|--no-header] [--skip-rows N] [--time-format F] [--duration-unit s|ms]
       [--timezone ZONE] [--country-code CC] [--international-prefix P] [--source ${USAGE_SOURCES.join('|')}]
       [--buyer ID] [--carrier ID] [--trunk-map FILE] [--min-destination-digits N] [--internal-pattern REGEX]
       [--equipment ID] [--url URL] [--token TOKEN] [--batch N] [--checkpoint FILE]
       [--restart] [--no-progress] [--layout]
layouts: ${LAYOUT_NAMES.join(', ')}
exit: 0 all rows accepted or skipped; 3 rows rejected (listed); 1 stopped by a network/server failure (run again to resume);
      2 bad usage or a file its layout cannot read (the line, the problem and the options to try)
--trunk-map FILE: CSV "trunk,carrier_id" giving the carrier of each outgoing trunk (Asterisk dstchannel SIP|PJSIP|IAX2/<trunk>-…,
      DAHDI/<span>, FreeSWITCH sofia/gateway/<gw>/…, Kamailio dst_uri, or a trunk/carrier_trunk column); with it a row whose
      trunk is not in the map is rejected (--carrier is then not used for it); a carrier_id column wins over both
--min-destination-digits N (default ${DEFAULT_MIN_DESTINATION_DIGITS}): shorter numbers (after E.164 normalisation) are skipped as
      internal/local, like s/h/i/t and *,# feature codes; --internal-pattern REGEX: more internal numbers to skip
relative paths (file, --mapping, --checkpoint, --trunk-map) are read from the folder the command was run in (INIT_CWD under npm)
billing: --url, else BILLING_URL, else http://BILLING_HOST:BILLING_PORT/graphql (127.0.0.1:4002); checked before the file is read
checkpoints: --checkpoint FILE, else one per file in INGEST_CHECKPOINT_DIR (default ~/.local/state/telecom-exchange/ingest);
      it records the options: a run with other options stops and says what changed (--restart re-imports with the new ones)`;

const usageError = (msg: string) => Object.assign(new Error(msg), { usage: true });

/** `--column called_number=dst`, `--column answer_time=10`, `--column called_number=dst_user|callee`. */
function columnOption(text: string): [MappedField, ColumnRef] {
  const eq = text.indexOf('=');
  const field = text.slice(0, eq).trim();
  const refs = text.slice(eq + 1).split('|').map((r) => r.trim()).filter((r) => r !== '');
  if (eq <= 0 || !(MAPPED_FIELDS as readonly string[]).includes(field) || refs.length === 0) throw usageError(`--column ${text}: write field=column (a header name or a 1-based position); fields: ${MAPPED_FIELDS.join(', ')}`);
  const parsed = refs.map((r) => (/^\d+$/.test(r) ? Number(r) : r));
  return [field as MappedField, parsed.length === 1 ? parsed[0] : parsed];
}

const DELIMITER_NAMES: Record<string, string> = { tab: '\t', '\\t': '\t', comma: ',', semicolon: ';', pipe: '|', space: ' ' };

async function main() {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      source: { type: 'string', default: 'MEASURING_EQUIPMENT' },
      buyer: { type: 'string' },
      carrier: { type: 'string' },
      equipment: { type: 'string' },
      format: { type: 'string' },
      mapping: { type: 'string' },
      column: { type: 'string', multiple: true },
      delimiter: { type: 'string' },
      'relax-quotes': { type: 'boolean' },
      header: { type: 'boolean' },
      'no-header': { type: 'boolean' },
      'skip-rows': { type: 'string' },
      'time-format': { type: 'string' },
      'duration-unit': { type: 'string' },
      timezone: { type: 'string' },
      'country-code': { type: 'string' },
      'international-prefix': { type: 'string' },
      'trunk-map': { type: 'string' },
      'min-destination-digits': { type: 'string' },
      'internal-pattern': { type: 'string' },
      url: { type: 'string' },
      token: { type: 'string' },
      batch: { type: 'string', default: '5000' },
      checkpoint: { type: 'string' },
      restart: { type: 'boolean', default: false },
      'no-progress': { type: 'boolean', default: false },
      layout: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.layout || values.help) {
    if (values.help) console.log(`${USAGE}\n`);
    console.log(CDR_CSV_LAYOUT);
    console.log(`\n${PRESETS_TEXT}`);
    return 0;
  }
  // npm runs scripts in the package's folder; INIT_CWD is where the operator typed the command.
  const base = process.env.INIT_CWD || process.cwd();
  const here = (p: string) => path.resolve(base, p);
  const file = positionals[0] === undefined ? undefined : here(positionals[0]);
  if (!file || !existsSync(file)) throw usageError(`CDR file ${positionals[0] ?? '(none)'} not found${positionals[0] && !path.isAbsolute(positionals[0]) ? ` (looked in ${base})` : ''} (usage: npm run ingest -- <file> …; --help)`);
  const source = values.source as UsageSource;
  if (!(USAGE_SOURCES as readonly string[]).includes(source)) throw usageError(`--source must be one of ${USAGE_SOURCES.join(', ')}`);

  // The mapping: a JSON file, then the options over it.
  let fromFile: CdrMappingSpec | undefined;
  let format = values.format;
  if (values.mapping !== undefined) {
    const mf = here(values.mapping);
    if (!existsSync(mf)) throw usageError(`--mapping ${values.mapping} not found (looked in ${base})`);
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(mf, 'utf8'));
    } catch (err) {
      throw usageError(`--mapping ${values.mapping} is not JSON: ${(err as Error).message}`);
    }
    const checked = checkMappingSpec(raw);
    if (!checked.ok) throw usageError(`--mapping ${values.mapping}: ${checked.reason}`);
    fromFile = checked.spec;
    const f = (raw as { format?: unknown }).format;
    if (f !== undefined && typeof f !== 'string') throw usageError(`--mapping ${values.mapping}: format must be a layout name`);
    format ??= f as string | undefined;
  }
  if (format !== undefined && !LAYOUT_NAMES.includes(format)) throw usageError(`--format must be one of ${LAYOUT_NAMES.join(', ')}`);
  const opt: Record<string, unknown> = {};
  if (values.delimiter !== undefined) opt.delimiter = DELIMITER_NAMES[values.delimiter.toLowerCase()] ?? values.delimiter;
  if (values['relax-quotes']) opt.relaxQuotes = true;
  if (values.header) opt.header = true;
  if (values['no-header']) opt.header = false;
  if (values['skip-rows'] !== undefined) opt.skipRows = /^\d+$/.test(values['skip-rows']) ? Number(values['skip-rows']) : values['skip-rows'];
  if (values['time-format'] !== undefined) opt.timeFormat = values['time-format'];
  if (values['duration-unit'] !== undefined) opt.durationUnit = values['duration-unit'];
  if (values.column?.length) opt.fields = Object.fromEntries(values.column.map(columnOption));
  const checkedOpts = checkMappingSpec(opt);
  if (!checkedOpts.ok) throw usageError(checkedOpts.reason.replace(/^delimiter/, '--delimiter').replace(/^timeFormat/, '--time-format').replace(/^durationUnit/, '--duration-unit').replace(/^skipRows/, '--skip-rows'));
  const mapping = fromFile || Object.keys(opt).length ? mergeMapping(fromFile, checkedOpts.spec) : undefined;

  if (values.timezone !== undefined && !isTimeZone(values.timezone)) throw usageError(`--timezone ${values.timezone} is not an IANA time zone (e.g. America/New_York, Europe/London, UTC)`);
  let dialling: DiallingPlan;
  try {
    dialling = diallingPlan({ countryCode: values['country-code'], internationalPrefix: values['international-prefix'] });
  } catch (err) {
    throw usageError(`--country-code/--international-prefix: ${(err as Error).message}`);
  }
  const extra = rowOptions(values);
  const token = values.token ?? process.env.BILLING_TOKEN;
  if (!token) throw usageError('a token is required: --token or BILLING_TOKEN (e.g. BILLING_TOKEN=$(npm run -s token -- --role BILLING_AGENT --sub agent))');
  const batchSize = Number(values.batch);
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10_000) throw usageError('--batch must be 1 to 10000');
  // Ctrl-C finishes the batch being sent and records it, so the next run resumes exactly there.
  let interrupted = false;
  process.on('SIGINT', () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    console.error('interrupt: finishing the batch in flight, then stopping (Ctrl-C again to quit at once; the next run resumes)');
  });
  const target = billingTarget(values.url, process.env);
  await checkBilling(target);
  const hashOf = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 16);
  const summary = await runIngest({
    file,
    url: target.url,
    token,
    source,
    buyerId: values.buyer,
    carrierId: values.carrier,
    equipmentId: values.equipment,
    format,
    mapping,
    timeZone: values.timezone,
    dialling,
    ...extra,
    batchSize,
    checkpointPath: values.checkpoint !== undefined ? here(values.checkpoint) : defaultCheckpoint(file, process.env),
    rowOptions: {
      source,
      buyer: values.buyer ?? null,
      carrier: values.carrier ?? null,
      equipment: values.equipment ?? null,
      format: format ?? null,
      mapping: mapping ? hashOf(JSON.stringify(mapping)) : null,
      timezone: values.timezone ?? null,
      'country-code': values['country-code'] ?? null,
      'international-prefix': values['international-prefix'] ?? null,
      'trunk-map': values['trunk-map'] !== undefined ? `${values['trunk-map']} (${hashOf(readFileSync(here(values['trunk-map']), 'utf8'))})` : null,
      'min-destination-digits': extra.minDestinationDigits,
      'internal-pattern': values['internal-pattern'] ?? null,
    },
    restart: values.restart,
    progress: !values['no-progress'] && Boolean(process.stderr.isTTY),
    stopRequested: () => interrupted,
  });
  for (const r of summary.rejections.slice(0, 20)) console.error(`line ${r.line}${r.recordId ? ` (${r.recordId})` : ''}: ${r.reason}`);
  if (summary.rejections.length > 20) console.error(`… and ${summary.rejections.length - 20} more rejected rows (all are listed by the rejectedUsage query)`);
  console.log(summaryText(summary));
  if (!summary.complete) return 1;
  return summary.rejected > 0 ? 3 : 0;
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (err) => {
      if (err instanceof IngestStopped) console.log(summaryText(err.summary));
      console.error(`ingest: ${(err as Error).message}`);
      process.exit((err as { usage?: boolean }).usage ? 2 : 1);
    },
  );
}
