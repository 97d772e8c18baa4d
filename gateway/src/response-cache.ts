import { parseDataReads, STORE_FIELD, type DataVersionReader } from '@exchange/platform';

// Whole answers kept per caller and request, valid while the data they were read from is unchanged
// (platform/src/data-versions.ts has the protocol). A portal user's page is the same bytes until
// something it shows is written: the bill list of a buyer changes when a bill is issued or paid,
// not with every usage record ingested. An identical request of the same verified caller is then
// answered without the planner, the subgraphs or the database.
//
// What is kept: answers to queries (never mutations, never subscriptions) with status 200 and no
// errors, for which every subgraph fetch named what it read, in the one store the gateway reads.
// A subgraph that answered from process memory (routing), one on another Redis, an older one
// without the header, a fetch shared with another caller's operation: the answer is not kept.
// Every answer is kept for at most RESPONSE_CACHE_TTL_MS, which bounds what no version covers:
// values computed from the clock, and writes made around the services (a database edited by hand).

/** What the subgraph fetches of one operation said they read; filled by the data sources. */
export class OperationReads {
  readonly fields = new Set<string>();
  readonly stores = new Set<string>();
  fetches = 0;
  /** False once any fetch cannot vouch for what it read. */
  complete = true;

  /** One subgraph answer's DATA_READS_HEADER (undefined: the subgraph did not say). */
  note(header: string | undefined): void {
    this.fetches++;
    const reads = parseDataReads(header);
    if (!reads) {
      this.complete = false;
      return;
    }
    this.stores.add(reads.store);
    for (const f of reads.fields) this.fields.add(f);
  }

  /** A fetch answered for another operation (joined in flight): its reads are not this operation's to vouch for. */
  spoil(): void {
    this.complete = false;
  }
}

/** A complete HTTP answer, as the gateway sends it. */
export interface KeptAnswer {
  status: number;
  headers: [string, string][];
  body: string;
}

interface Entry {
  answer: KeptAnswer;
  store: string;
  fields: string[];
  versions: string[];
  expires: number;
  bytes: number;
}

export type CacheOutcome = 'hit' | 'miss' | 'stale' | 'unavailable';

export interface ResponseCacheOptions {
  reader: DataVersionReader;
  ttlMs: number;
  maxBytes: number;
  /** Counts each lookup's outcome and each answer kept or refused. */
  count?: (event: CacheOutcome | 'kept' | 'not_kept') => void;
  now?: () => number;
}

/** An answer bigger than this share of the cache is not kept (one report must not evict every page). */
const LARGEST_SHARE = 16;

export class ResponseCache {
  /** Oldest use first (a Map keeps insertion order; a hit moves its entry to the end). */
  private readonly entries = new Map<string, Entry>();
  private bytes = 0;
  private readonly now: () => number;

  constructor(private readonly opts: ResponseCacheOptions) {
    this.now = opts.now ?? Date.now;
  }

  /** Entries and bytes kept (metrics, tests). */
  size(): { entries: number; bytes: number } {
    return { entries: this.entries.size, bytes: this.bytes };
  }

  /** The kept answer for `key` while every version it was read at still holds. */
  async lookup(key: string): Promise<KeptAnswer | undefined> {
    const e = this.entries.get(key);
    if (!e) return this.counted('miss');
    if (e.expires <= this.now()) {
      this.drop(key, e);
      return this.counted('stale');
    }
    const now = await this.opts.reader.current(e.fields);
    if (!now) return this.counted('unavailable');
    if (now.store !== e.store || e.fields.some((_, i) => (now.versions[i] ?? '') !== e.versions[i])) {
      if (this.entries.get(key) === e) this.drop(key, e);
      return this.counted('stale');
    }
    if (this.entries.get(key) === e) {
      this.entries.delete(key);
      this.entries.set(key, e);
    }
    this.opts.count?.('hit');
    return e.answer;
  }

  /** The versions before an operation runs: every write after this moment makes its answer stale. */
  snapshot(): Promise<Record<string, string> | undefined> {
    return this.opts.reader.snapshot();
  }

  /** Keeps `answer` when the operation's fetches vouch for all it read, at the versions of `before`. */
  keep(key: string, answer: KeptAnswer, before: Record<string, string> | undefined, reads: OperationReads): void {
    const store = before?.[STORE_FIELD];
    const keepable =
      store !== undefined &&
      reads.complete &&
      reads.fetches > 0 &&
      reads.stores.size === 1 &&
      reads.stores.has(store) &&
      answer.status === 200 &&
      // A data field aliased "errors" is refused too: cheaper than parsing, and only ever too careful.
      !answer.body.includes('"errors":');
    const bytes = 2 * (key.length + answer.body.length) + 256;
    if (!keepable || bytes * LARGEST_SHARE > this.opts.maxBytes) {
      this.opts.count?.('not_kept');
      return;
    }
    const fields = [...reads.fields].sort();
    const old = this.entries.get(key);
    if (old) this.drop(key, old);
    while (this.bytes + bytes > this.opts.maxBytes && this.entries.size) {
      const [k, e] = this.entries.entries().next().value as [string, Entry];
      this.drop(k, e);
    }
    this.entries.set(key, { answer, store, fields, versions: fields.map((f) => before![f] ?? ''), expires: this.now() + this.opts.ttlMs, bytes });
    this.bytes += bytes;
    this.opts.count?.('kept');
  }

  private drop(key: string, e: Entry): void {
    this.entries.delete(key);
    this.bytes -= e.bytes;
  }

  private counted(outcome: CacheOutcome): undefined {
    this.opts.count?.(outcome);
    return undefined;
  }
}
