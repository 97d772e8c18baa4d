/**
 * `npm run ingest -- <file.csv> [--source S] [--buyer ID] [--carrier ID] [--equipment ID]
 *                    [--url URL] [--token T] [--batch N] [--checkpoint FILE] [--restart] [--no-progress]`
 *
 * Imports a CDR CSV file (layout: `--layout`, or CDR_CSV_LAYOUT in src/domain/cdr-csv.ts)
 * through the billing GraphQL API (`ingestUsage`), never the database. The file is streamed
 * (csv-parse) in batches; after every batch a checkpoint next to the file records how many rows
 * are done, so an interrupted import resumes where it stopped. Record ids are deterministic, so
 * rows sent twice (a crash between a batch and its checkpoint) count as duplicates, never twice.
 *
 * URL: --url or BILLING_URL (default http://127.0.0.1:4002/graphql); token: --token or
 * BILLING_TOKEN (a BILLING_AGENT, ADMIN or MODERATOR token, e.g. `npm run token -- --role BILLING_AGENT --sub agent`).
 */
import { createHash } from 'node:crypto';
import { closeSync, createReadStream, existsSync, openSync, readFileSync, readSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parse } from 'csv-parse';
import { SingleBar, Presets } from 'cli-progress';
import { CDR_CSV_LAYOUT, mapCdrRow, USAGE_SOURCES, type UsageSource } from '../domain';

export interface IngestOptions {
  file: string;
  url: string;
  token: string;
  source: UsageSource;
  buyerId?: string;
  carrierId?: string;
  equipmentId?: string;
  batchSize: number;
  checkpointPath: string;
  restart: boolean;
  progress: boolean;
  /** Stop after this many batches (tests simulate an interruption). */
  maxBatches?: number;
  log?: (line: string) => void;
}

export interface IngestSummary {
  rows: number;
  accepted: number;
  duplicates: number;
  rejected: number;
  skipped: number;
  resumedFrom: number;
  complete: boolean;
  rejections: { line: number; recordId: string | null; reason: string }[];
}

interface Checkpoint {
  fingerprint: string;
  rowsDone: number;
  accepted: number;
  duplicates: number;
  rejected: number;
  skipped: number;
  complete: boolean;
}

const INGEST = `mutation($records: [UsageRecordInput!]!) { ingestUsage(records: $records) { accepted duplicates rejected { index recordId reason } } }`;

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

async function send(opts: IngestOptions, records: unknown[]) {
  for (let attempt = 1; ; attempt++) {
    try {
      const res = await fetch(opts.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${opts.token}` },
        body: JSON.stringify({ query: INGEST, variables: { records } }),
      });
      const body = (await res.json()) as { data?: { ingestUsage: { accepted: number; duplicates: number; rejected: { index: number; recordId: string | null; reason: string }[] } }; errors?: { message: string; extensions?: { code?: string } }[] };
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

export async function runIngest(opts: IngestOptions): Promise<IngestSummary> {
  const log = opts.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const fp = fingerprint(opts.file);
  let cp: Checkpoint = { fingerprint: fp, rowsDone: 0, accepted: 0, duplicates: 0, rejected: 0, skipped: 0, complete: false };
  if (!opts.restart && existsSync(opts.checkpointPath)) {
    const saved = JSON.parse(readFileSync(opts.checkpointPath, 'utf8')) as Checkpoint;
    if (saved.fingerprint === fp) cp = saved;
    else log(`checkpoint ${opts.checkpointPath} belongs to another version of the file; starting over`);
  }
  const resumedFrom = cp.rowsDone;
  if (resumedFrom > 0) log(`resuming after row ${resumedFrom}`);
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
  const parser = input.pipe(parse({ columns: true, bom: true, skip_empty_lines: true, trim: true, relax_column_count: true, info: true }));

  const rejections: IngestSummary['rejections'] = [];
  let batch: { record: unknown; line: number }[] = [];
  let pendingLocal = { rejected: 0, skipped: 0 };
  let row = 0;
  let batches = 0;
  let stopped = false;
  const flush = async () => {
    if (batch.length > 0) {
      const out = await send(opts, batch.map((b) => b.record));
      cp.accepted += out.accepted;
      cp.duplicates += out.duplicates;
      cp.rejected += out.rejected.length;
      for (const r of out.rejected) rejections.push({ line: batch[r.index].line, recordId: r.recordId, reason: r.reason });
    }
    cp.rejected += pendingLocal.rejected;
    cp.skipped += pendingLocal.skipped;
    pendingLocal = { rejected: 0, skipped: 0 };
    cp.rowsDone = row;
    batch = [];
    batches++;
    save();
  };
  for await (const item of parser as AsyncIterable<{ record: Record<string, string>; info: { lines: number } }>) {
    row++;
    if (row <= resumedFrom) continue;
    const m = mapCdrRow(item.record, item.info.lines, { source: opts.source, buyerId: opts.buyerId, carrierId: opts.carrierId, equipmentId: opts.equipmentId });
    if (m.ok) batch.push({ record: m.record, line: m.lineNumber });
    else if (m.skipped) pendingLocal.skipped++;
    else {
      pendingLocal.rejected++;
      rejections.push({ line: m.lineNumber, recordId: null, reason: m.reason });
    }
    if (batch.length >= opts.batchSize) {
      await flush();
      if (opts.maxBatches !== undefined && batches >= opts.maxBatches) {
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
  bar?.stop();
  return { rows: cp.rowsDone, accepted: cp.accepted, duplicates: cp.duplicates, rejected: cp.rejected, skipped: cp.skipped, resumedFrom, complete: cp.complete, rejections };
}

async function main() {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      source: { type: 'string', default: 'MEASURING_EQUIPMENT' },
      buyer: { type: 'string' },
      carrier: { type: 'string' },
      equipment: { type: 'string' },
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
    console.log(values.help ? `usage: npm run ingest -- <file.csv> [--source ${USAGE_SOURCES.join('|')}] [--buyer ID] [--carrier ID] [--equipment ID] [--url URL] [--token TOKEN] [--batch N] [--checkpoint FILE] [--restart] [--no-progress] [--layout]\n` : '');
    console.log(CDR_CSV_LAYOUT);
    return;
  }
  const file = positionals[0];
  if (!file || !existsSync(file)) throw Object.assign(new Error(`CSV file ${file ?? '(none)'} not found (usage: npm run ingest -- <file.csv> …; --help)`), { usage: true });
  const source = values.source as UsageSource;
  if (!(USAGE_SOURCES as readonly string[]).includes(source)) throw Object.assign(new Error(`--source must be one of ${USAGE_SOURCES.join(', ')}`), { usage: true });
  const token = values.token ?? process.env.BILLING_TOKEN;
  if (!token) throw Object.assign(new Error('a token is required: --token or BILLING_TOKEN (e.g. npm run token -- --role BILLING_AGENT --sub agent)'), { usage: true });
  const batchSize = Number(values.batch);
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10_000) throw Object.assign(new Error('--batch must be 1 to 10000'), { usage: true });
  const summary = await runIngest({
    file,
    url: values.url ?? process.env.BILLING_URL ?? 'http://127.0.0.1:4002/graphql',
    token,
    source,
    buyerId: values.buyer,
    carrierId: values.carrier,
    equipmentId: values.equipment,
    batchSize,
    checkpointPath: values.checkpoint ?? `${file}.ingest-checkpoint.json`,
    restart: values.restart,
    progress: !values['no-progress'] && Boolean(process.stderr.isTTY),
  });
  for (const r of summary.rejections.slice(0, 20)) console.error(`line ${r.line}${r.recordId ? ` (${r.recordId})` : ''}: ${r.reason}`);
  if (summary.rejections.length > 20) console.error(`… and ${summary.rejections.length - 20} more rejected rows (all are listed by the rejectedUsage query)`);
  console.log(`rows ${summary.rows}: accepted ${summary.accepted}, duplicates ${summary.duplicates}, rejected ${summary.rejected}, skipped ${summary.skipped}${summary.resumedFrom ? ` (resumed after row ${summary.resumedFrom})` : ''}`);
}

if (require.main === module) {
  main().catch((err) => {
    console.error(`ingest: ${(err as Error).message}`);
    process.exit((err as { usage?: boolean }).usage ? 2 : 1);
  });
}
