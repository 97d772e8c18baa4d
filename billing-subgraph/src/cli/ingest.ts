/**
 * `npm run ingest -- <file.csv> [--format asterisk|asterisk-custom|freeswitch|generic] [--timezone ZONE]
 *                    [--country-code CC] [--international-prefix P] [--source S] [--buyer ID] [--carrier ID]
 *                    [--equipment ID] [--url URL] [--token T] [--batch N] [--checkpoint FILE] [--restart] [--no-progress]`
 *
 * Imports a switch's CDR file as the switch wrote it (formats: src/domain/cdr-formats.ts, detected
 * from the first row unless --format is given; columns: --layout) through the billing GraphQL API
 * (`ingestUsage`), never the database. The file is streamed (csv-parse) in batches; after every
 * batch a checkpoint next to the file records how many rows are done, so an interrupted import
 * resumes where it stopped. Record ids are deterministic, so rows sent twice (a crash between a
 * batch and its checkpoint) count as duplicates, never twice, and the summary says so.
 *
 * Exit codes: 0 every row accepted or skipped; 3 the file was imported but rows were rejected
 * (listed, and kept for `rejectedUsage`); 1 the import stopped (resumable); 2 bad usage.
 *
 * URL: --url or BILLING_URL (default http://127.0.0.1:4002/graphql); token: --token or
 * BILLING_TOKEN (a BILLING_AGENT, ADMIN or MODERATOR token, e.g. `npm run token -- --role BILLING_AGENT --sub agent`).
 */
import { createHash } from 'node:crypto';
import { closeSync, createReadStream, existsSync, openSync, readFileSync, readSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parse } from 'csv-parse';
import { SingleBar, Presets } from 'cli-progress';
import { CDR_CSV_LAYOUT, CDR_FORMATS, detectLayout, diallingPlan, isTimeZone, mapCdrRow, USAGE_SOURCES, type CdrFormat, type DiallingPlan, type FileLayout, type UsageSource } from '../domain';

export interface IngestOptions {
  file: string;
  url: string;
  token: string;
  source: UsageSource;
  buyerId?: string;
  carrierId?: string;
  equipmentId?: string;
  /** The file's format; detected from the first row when absent. */
  format?: CdrFormat;
  /** IANA zone of the switch's zoneless times; UTC when absent. */
  timeZone?: string;
  /** The switch's dialling conventions (international prefix, country code). */
  dialling?: DiallingPlan;
  batchSize: number;
  checkpointPath: string;
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
  resumedFrom: number;
  complete: boolean;
  layout: FileLayout;
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
  complete: boolean;
  /** Data rows (first, last) of the batch being sent: on resume its duplicates were stored by this run. */
  inFlight?: { from: number; to: number } | null;
}

const INGEST = `mutation($records: [UsageRecordInput!]!, $importerRejections: [ImporterRejectionInput!]) { ingestUsage(records: $records, importerRejections: $importerRejections) { accepted duplicates rejected { index recordId reason } parked { index recordId reason } } }`;

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

async function send(opts: IngestOptions, records: unknown[], importerRejections: unknown[]): Promise<IngestAnswer> {
  for (let attempt = 1; ; attempt++) {
    try {
      const res = await fetch(opts.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${opts.token}` },
        body: JSON.stringify({ query: INGEST, variables: { records, importerRejections } }),
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
      if ((err as { fatal?: boolean }).fatal || attempt >= 5) throw err;
      await new Promise((r) => setTimeout(r, 500 * 2 ** (attempt - 1)));
    }
  }
}

/** Reads the first record of the file (for format detection) without consuming the import's stream. */
async function firstRecord(file: string): Promise<string[] | null> {
  const parser = createReadStream(file).pipe(parse({ bom: true, skip_empty_lines: true, trim: true, relax_column_count: true, to_line: 50 }));
  for await (const rec of parser as AsyncIterable<string[]>) {
    parser.destroy();
    return rec;
  }
  return null;
}

export class IngestStopped extends Error {
  constructor(message: string, readonly summary: IngestSummary) {
    super(message);
  }
}

export async function runIngest(opts: IngestOptions): Promise<IngestSummary> {
  const log = opts.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const first = await firstRecord(opts.file);
  if (!first) throw Object.assign(new Error(`${opts.file} holds no rows`), { usage: true });
  const decision = detectLayout(first, opts.format);
  if (!decision.ok) throw Object.assign(new Error(decision.reason), { usage: true });
  const layout = decision.layout;
  log(`format: ${layout.description}`);
  if ((layout.format === 'asterisk' || layout.format === 'asterisk-custom') && opts.equipmentId === undefined) {
    log('note: an Asterisk uniqueid is unique on one switch only; name the switch with --equipment so two PBXs\' calls with the same id are both billed (the same id with other contents is refused as a conflict)');
  }

  const fp = fingerprint(opts.file);
  const fileKey = createHash('sha256').update(fp).digest('hex').slice(0, 16);
  let cp: Checkpoint = { fingerprint: fp, rowsDone: 0, accepted: 0, parked: {}, duplicates: 0, alreadyStored: 0, rejected: 0, skipped: 0, complete: false };
  if (!opts.restart && existsSync(opts.checkpointPath)) {
    const saved = JSON.parse(readFileSync(opts.checkpointPath, 'utf8')) as Checkpoint;
    if (saved.fingerprint === fp) cp = { ...cp, ...saved, parked: saved.parked ?? {}, alreadyStored: saved.alreadyStored ?? 0 };
    else log(`checkpoint ${opts.checkpointPath} belongs to another version of the file; starting over`);
  }
  if (cp.complete) log(`${opts.file} was imported completely before (checkpoint ${opts.checkpointPath}): nothing to do; --restart imports it again (only duplicates, never charged twice)`);
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
  const input = createReadStream(opts.file);
  let bytes = 0;
  input.on('data', (c) => {
    bytes += c.length;
    bar?.update(bytes, { rows: cp.rowsDone, accepted: cp.accepted, duplicates: cp.duplicates, rejected: cp.rejected });
  });
  const parser = input.pipe(parse({ bom: true, skip_empty_lines: true, trim: true, relax_column_count: true, info: true, raw: true }));

  const rejections: IngestSummary['rejections'] = [];
  let batch: { record: unknown; line: number }[] = [];
  let refused: { key: string; line: number; recordId: null; source: UsageSource; reason: string; raw: string }[] = [];
  let pendingSkipped = 0;
  let unsentRefusals = 0;
  let row = 0;
  let batches = 0;
  let stopped = false;
  let zonelessTimes = false;
  const flush = async () => {
    if (batch.length === 0 && refused.length > 0) {
      // Billing keeps refused rows only beside records of the same file; these stay in this summary.
      cp.rejected += refused.length;
      unsentRefusals += refused.length;
    } else if (batch.length > 0) {
      cp.inFlight = { from: cp.rowsDone + 1, to: row };
      save();
      const out = await send(opts, batch.map((b) => b.record), refused);
      cp.accepted += out.accepted;
      cp.duplicates += out.duplicates;
      if (inFlight && cp.rowsDone + 1 <= inFlight.to) cp.alreadyStored += out.duplicates;
      cp.rejected += out.rejected.length + refused.length;
      for (const r of out.rejected) rejections.push({ line: batch[r.index].line, recordId: r.recordId, reason: r.reason });
      for (const p of out.parked) cp.parked[p.reason] = (cp.parked[p.reason] ?? 0) + 1;
    }
    cp.skipped += pendingSkipped;
    pendingSkipped = 0;
    cp.rowsDone = row;
    cp.inFlight = null;
    batch = [];
    refused = [];
    batches++;
    save();
  };
  let columns: readonly string[] | undefined = layout.columns;
  const defaults = { source: opts.source, buyerId: opts.buyerId, carrierId: opts.carrierId, equipmentId: opts.equipmentId, timeZone: opts.timeZone, dialling: opts.dialling };
  try {
    for await (const item of parser as AsyncIterable<{ record: string[]; raw: string; info: { lines: number } }>) {
      if (!columns) {
        columns = item.record;
        continue;
      }
      row++;
      if (row <= resumedFrom) continue;
      const named: Record<string, string> = {};
      columns.forEach((c, i) => {
        if (item.record[i] !== undefined && !(c in named)) named[c] = item.record[i];
      });
      const m = mapCdrRow(named, item.info.lines, defaults);
      if (m.ok) {
        batch.push({ record: m.record, line: m.lineNumber });
        if (m.zoneless) zonelessTimes = true;
      } else if (m.skipped) pendingSkipped++;
      else {
        refused.push({ key: `${fileKey}:${m.lineNumber}`, line: m.lineNumber, recordId: null, source: opts.source, reason: m.reason, raw: item.raw.replace(/\r?\n$/, '') });
        rejections.push({ line: m.lineNumber, recordId: null, reason: m.reason });
      }
      // A resumed run first sends exactly the rows that were in flight, so their duplicates are told apart.
      const inFlightEnd = inFlight && cp.rowsDone < inFlight.to && row === inFlight.to;
      if (batch.length + refused.length >= opts.batchSize || inFlightEnd) {
        await flush();
        if ((opts.maxBatches !== undefined && batches >= opts.maxBatches) || opts.stopRequested?.()) {
          stopped = true;
          input.destroy();
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
    const summary = summarise();
    throw new IngestStopped(`${(err as Error).message}\nstopped after row ${cp.rowsDone}: the rows up to it are stored (checkpoint ${opts.checkpointPath}); run the same command again to resume after row ${cp.rowsDone}`, summary);
  }
  bar?.stop();
  if (stopped) log(`stopped after row ${cp.rowsDone} (checkpoint ${opts.checkpointPath}): run the same command again to resume after row ${cp.rowsDone}, or add --restart to start over`);
  if (unsentRefusals) log(`note: ${unsentRefusals} refused rows came in batches without any record; billing did not store them (they are listed in this summary)`);
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
      resumedFrom,
      complete: cp.complete,
      layout,
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
    `  skipped ${s.skipped} (not answered: nothing to bill)`,
  ];
  return lines.join('\n');
}

async function main() {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      source: { type: 'string', default: 'MEASURING_EQUIPMENT' },
      buyer: { type: 'string' },
      carrier: { type: 'string' },
      equipment: { type: 'string' },
      format: { type: 'string' },
      timezone: { type: 'string' },
      'country-code': { type: 'string' },
      'international-prefix': { type: 'string' },
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
    console.log(values.help ? `usage: npm run ingest -- <file.csv> [--format ${CDR_FORMATS.join('|')}] [--timezone ZONE] [--country-code CC] [--international-prefix P] [--source ${USAGE_SOURCES.join('|')}] [--buyer ID] [--carrier ID] [--equipment ID] [--url URL] [--token TOKEN] [--batch N] [--checkpoint FILE] [--restart] [--no-progress] [--layout]\nexit: 0 all rows accepted or skipped, 3 rows rejected, 1 stopped (run again to resume), 2 bad usage\n` : '');
    console.log(CDR_CSV_LAYOUT);
    return 0;
  }
  const usage = (msg: string) => Object.assign(new Error(msg), { usage: true });
  const file = positionals[0];
  if (!file || !existsSync(file)) throw usage(`CSV file ${file ?? '(none)'} not found (usage: npm run ingest -- <file.csv> …; --help)`);
  const source = values.source as UsageSource;
  if (!(USAGE_SOURCES as readonly string[]).includes(source)) throw usage(`--source must be one of ${USAGE_SOURCES.join(', ')}`);
  if (values.format !== undefined && !(CDR_FORMATS as readonly string[]).includes(values.format)) throw usage(`--format must be one of ${CDR_FORMATS.join(', ')}`);
  if (values.timezone !== undefined && !isTimeZone(values.timezone)) throw usage(`--timezone ${values.timezone} is not an IANA time zone (e.g. America/New_York, Europe/London, UTC)`);
  let dialling: DiallingPlan;
  try {
    dialling = diallingPlan({ countryCode: values['country-code'], internationalPrefix: values['international-prefix'] });
  } catch (err) {
    throw usage(`--country-code/--international-prefix: ${(err as Error).message}`);
  }
  const token = values.token ?? process.env.BILLING_TOKEN;
  if (!token) throw usage('a token is required: --token or BILLING_TOKEN (e.g. npm run token -- --role BILLING_AGENT --sub agent)');
  const batchSize = Number(values.batch);
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10_000) throw usage('--batch must be 1 to 10000');
  // Ctrl-C finishes the batch being sent and records it, so the next run resumes exactly there.
  let interrupted = false;
  process.on('SIGINT', () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    console.error('interrupt: finishing the batch in flight, then stopping (Ctrl-C again to quit at once; the next run resumes)');
  });
  const summary = await runIngest({
    file,
    url: values.url ?? process.env.BILLING_URL ?? 'http://127.0.0.1:4002/graphql',
    token,
    source,
    buyerId: values.buyer,
    carrierId: values.carrier,
    equipmentId: values.equipment,
    format: values.format as CdrFormat | undefined,
    timeZone: values.timezone,
    dialling,
    batchSize,
    checkpointPath: values.checkpoint ?? `${file}.ingest-checkpoint.json`,
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
