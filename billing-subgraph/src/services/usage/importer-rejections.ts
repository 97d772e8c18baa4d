import { insertIgnoringDuplicates } from '@exchange/platform';
import { randomUUID } from 'node:crypto';
import type { Identity } from '@exchange/platform';
import { escapeControlCharacters, USAGE_SOURCES } from '../../domain';
import type { RejectedDoc } from '../../store/models';
import { badInput, reporterLabel } from '../access';
import type { Deps } from '../deps';
import { ingestUsage, SOURCE_FOR_ROLE, type IngestOutcome } from './ingest';

/** A row a file importer refused before it became a usage record (unreadable time, number, ...). */
export interface ImporterRejection {
  key: string;
  line: number;
  recordId?: string | null;
  source?: string | null;
  reason: string;
  raw: string;
}

export const MAX_IMPORTER_REJECTIONS = 10_000;

/**
 * Keeps the rows an importer (npm run ingest) refused beside the API's own rejections, so
 * `rejectedUsage` lists every row of a file that was not billed. The importer's key (file
 * fingerprint + line) makes a resumed import's re-sent rows land once.
 */
export function importerRejectionDocs(reporter: { role: string; sub: string }, batchId: string, rows: unknown, now: Date, recordCount = 1): RejectedDoc[] {
  if (rows === undefined || rows === null) return [];
  if (!Array.isArray(rows)) throw badInput('importerRejections', 'importerRejections must be a list');
  if (rows.length === 0) return [];
  // Rows of a file come with the file's records: an import without any record stores nothing, so
  // rejectedUsage cannot be filled with rows of no import.
  if (recordCount < 1) throw badInput('records', 'importerRejections come with the records of the same file: records must hold at least one record');
  // A reporter's rows are of its own source (a carrier's file is CARRIER usage); operators import any source.
  const own = SOURCE_FOR_ROLE[reporter.role as keyof typeof SOURCE_FOR_ROLE] ?? (reporter.role === 'MODERATOR' ? 'MODERATOR' : undefined);
  if (rows.length > MAX_IMPORTER_REJECTIONS) throw badInput('importerRejections', `importerRejections must hold at most ${MAX_IMPORTER_REJECTIONS} rows`);
  const label = reporterLabel(reporter);
  return rows.map((r: Record<string, unknown>, i) => {
    const f = (n: string) => `importerRejections[${i}].${n}`;
    if (typeof r?.key !== 'string' || r.key.length < 1 || r.key.length > 200 || r.key.startsWith('$')) throw badInput(f('key'), `${f('key')} must be 1 to 200 characters`);
    if (!Number.isInteger(r.line) || (r.line as number) < 1) throw badInput(f('line'), `${f('line')} must be a positive line number`);
    if (typeof r.reason !== 'string' || r.reason.length < 1) throw badInput(f('reason'), `${f('reason')} is required`);
    if (typeof r.raw !== 'string') throw badInput(f('raw'), `${f('raw')} is required`);
    if (r.source !== undefined && r.source !== null && !(USAGE_SOURCES as readonly unknown[]).includes(r.source)) throw badInput(f('source'), `${f('source')} must be one of ${USAGE_SOURCES.join(', ')}`);
    if (own && r.source !== undefined && r.source !== null && r.source !== own) throw badInput(f('source'), `${f('source')} must be ${own}, the source of a ${reporter.role}'s usage`);
    const text = (v: unknown, max: number) => (typeof v === 'string' ? escapeControlCharacters(v.slice(0, max)) : null);
    return {
      _id: `importer|${label}|${escapeControlCharacters(r.key)}`,
      batchId,
      index: r.line as number,
      recordId: text(r.recordId, 200),
      source: (r.source as string | undefined) ?? own ?? null,
      field: 'line',
      reason: `line ${r.line as number}: ${text(r.reason, 1000)}`,
      raw: text(r.raw, 4096)!,
      reportedBy: label,
      rejectedAt: now,
    };
  });
}

/** Stores them (validated first by importerRejectionDocs, so a bad row writes nothing); returns how many were new. */
export async function storeImporterRejections(deps: Deps, docs: RejectedDoc[]): Promise<number> {
  const dup = await insertIgnoringDuplicates(deps.models.Rejected, docs);
  return docs.length - dup.size;
}

/**
 * The ingestUsage mutation: the records (strict entitlement: a reporter only for its buyers) and
 * the rows the caller's importer refused, under one batch id. The importer's rows are checked
 * before anything is written and stored after the records.
 */
export async function ingestUsageWithRejections(deps: Deps, who: Identity, records: unknown[], importerRejections: unknown, correctParked = false): Promise<IngestOutcome> {
  const batchId = `batch_${randomUUID()}`;
  const now = new Date();
  const refused = importerRejectionDocs(who, batchId, importerRejections, now, Array.isArray(records) ? records.length : 0);
  const out = await ingestUsage(deps, who, records, { strictEntitlement: true, batchId, now, correctParked });
  await storeImporterRejections(deps, refused);
  return out;
}
