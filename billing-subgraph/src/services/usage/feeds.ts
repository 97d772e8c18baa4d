import { backoffMs } from '@exchange/platform';
import { randomUUID } from 'node:crypto';
import type { Identity } from '@exchange/platform';
import type { FeedDoc } from '../../store/models';
import { badInput, notFound } from '../access';
import type { Deps } from '../deps';
import { ingestUsage, MAX_BATCH } from './ingest';
import { claimOnce } from '../../store/slots';

const LEASE_MS = 60_000;
const MAX_PAGES_PER_POLL = 20;
const MAX_BACKOFF_MS = 3_600_000;

export async function registerFeed(deps: Deps, id: Identity, input: Record<string, any>): Promise<FeedDoc> {
  let url: URL;
  try {
    url = new URL(input.url);
  } catch {
    throw badInput('input.url', 'input.url must be an absolute http(s) URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw badInput('input.url', 'input.url must be an http(s) URL');
  if (typeof input.equipmentId !== 'string' || input.equipmentId.length < 1 || input.equipmentId.length > 200) throw badInput('input.equipmentId', 'input.equipmentId is required');
  const interval = input.intervalSeconds;
  if (!Number.isInteger(interval) || interval < 1 || interval > 86_400) throw badInput('input.intervalSeconds', 'input.intervalSeconds must be between 1 and 86400');
  const buyerIds = Array.isArray(input.buyerIds) ? input.buyerIds.map(String) : [];
  const now = new Date();
  const doc: FeedDoc = {
    _id: `feed_${randomUUID().replace(/-/g, '').slice(0, 16)}`,
    url: url.toString(),
    equipmentId: input.equipmentId,
    buyerIds,
    intervalSeconds: interval,
    cursor: null,
    nextPollAt: now,
    leaseUntil: null,
    leaseOwner: null,
    lastPolledAt: null,
    lastSuccessAt: null,
    lastError: null,
    consecutiveFailures: 0,
    acceptedTotal: 0,
    duplicatesTotal: 0,
    rejectedTotal: 0,
    createdBy: `${id.role}:${id.sub}`,
    createdAt: now,
  };
  await deps.models.Feed.create(doc);
  return doc;
}

/**
 * Polls one feed under a lease (several billing instances never poll one feed at once). The
 * cursor advances only after a page is ingested; a failure keeps the cursor, records the error
 * and schedules a retry with exponential backoff.
 */
export async function pollFeed(deps: Deps, feedId: string, opts: { force?: boolean } = {}): Promise<FeedDoc> {
  const { Feed } = deps.models;
  const owner = randomUUID();
  const now = new Date();
  const cond: Record<string, unknown> = { _id: feedId, $or: [{ leaseUntil: null }, { leaseUntil: { $lt: now } }] };
  if (!opts.force) cond.nextPollAt = { $lte: now };
  if (!opts.force) {
    // Several instances may find the same feed due: one poll per scheduled occurrence and lease window.
    const due = (await Feed.findById(feedId).select({ nextPollAt: 1 }).lean().exec()) as FeedDoc | null;
    if (!due) throw notFound(`usage feed ${feedId} not found`);
    if (due.nextPollAt.getTime() > now.getTime()) return (await Feed.findById(feedId).lean().exec()) as FeedDoc;
    if (!(await claimOnce(deps.models, `feed|${feedId}|${due.nextPollAt.getTime()}|${Math.floor(now.getTime() / LEASE_MS)}`, 4 * LEASE_MS, now))) {
      return (await Feed.findById(feedId).lean().exec()) as FeedDoc;
    }
  }
  const feed = (await Feed.findOneAndUpdate(cond, { $set: { leaseUntil: new Date(now.getTime() + LEASE_MS), leaseOwner: owner } }, { returnDocument: 'after' }).lean().exec()) as FeedDoc | null;
  if (!feed) {
    const existing = (await Feed.findById(feedId).lean().exec()) as FeedDoc | null;
    if (!existing) throw notFound(`usage feed ${feedId} not found`);
    if (opts.force) {
      // Another instance is polling it right now: wait for that poll instead of polling twice.
      for (let i = 0; i < 200; i++) {
        await new Promise((r) => setTimeout(r, 50));
        const f = (await Feed.findById(feedId).lean().exec()) as FeedDoc;
        if (!f.leaseUntil || f.leaseUntil.getTime() < Date.now()) return f;
      }
    }
    return existing;
  }
  let cursor = feed.cursor ?? null;
  let accepted = 0, duplicates = 0, rejected = 0;
  try {
    for (let page = 0; page < MAX_PAGES_PER_POLL; page++) {
      const url = new URL(feed.url);
      if (cursor !== null) url.searchParams.set('cursor', cursor);
      const res = await fetch(url, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(15_000) });
      if (!res.ok) throw new Error(`feed answered HTTP ${res.status}`);
      const body = (await res.json().catch(() => null)) as { records?: unknown; nextCursor?: unknown } | null;
      if (!body || !Array.isArray(body.records)) throw new Error('feed answer is not {"records": [...], "nextCursor": "..."}');
      if (body.nextCursor !== undefined && body.nextCursor !== null && typeof body.nextCursor !== 'string') throw new Error('nextCursor must be a string');
      if (body.records.length > MAX_BATCH) throw new Error(`a feed page may hold at most ${MAX_BATCH} records`);
      const records = body.records.map((r) =>
        typeof r === 'object' && r !== null && !Array.isArray(r)
          ? { source: 'MEASURING_EQUIPMENT', equipmentId: feed.equipmentId, ...(r as Record<string, unknown>) }
          : r,
      );
      const out = await ingestUsage(deps, { role: 'BILLING_AGENT', sub: `feed:${feed._id}`, feedBuyerIds: feed.buyerIds }, records, {
        strictEntitlement: false,
        batchId: `${feed._id}:${cursor ?? 'start'}`,
      });
      accepted += out.accepted;
      duplicates += out.duplicates;
      rejected += out.rejected.length;
      const next = (body.nextCursor as string | undefined) ?? cursor;
      const moved = next !== cursor;
      cursor = next;
      await Feed.updateOne({ _id: feed._id, leaseOwner: owner }, { $set: { cursor } }).exec();
      if (body.records.length === 0 || !moved) break;
    }
    const done = new Date();
    await Feed.updateOne(
      { _id: feed._id, leaseOwner: owner },
      {
        $set: { leaseUntil: null, leaseOwner: null, lastPolledAt: done, lastSuccessAt: done, lastError: null, consecutiveFailures: 0, nextPollAt: new Date(done.getTime() + feed.intervalSeconds * 1000) },
        $inc: { acceptedTotal: accepted, duplicatesTotal: duplicates, rejectedTotal: rejected },
      },
    ).exec();
  } catch (err) {
    const failures = (feed.consecutiveFailures ?? 0) + 1;
    const delay = backoffMs(failures + 1, { baseMs: feed.intervalSeconds * 1000, maxMs: MAX_BACKOFF_MS });
    const done = new Date();
    await Feed.updateOne(
      { _id: feed._id, leaseOwner: owner },
      {
        $set: { leaseUntil: null, leaseOwner: null, lastPolledAt: done, lastError: ((err as Error).message ?? String(err)).slice(0, 500), consecutiveFailures: failures, nextPollAt: new Date(done.getTime() + delay) },
        $inc: { acceptedTotal: accepted, duplicatesTotal: duplicates, rejectedTotal: rejected },
      },
    ).exec();
    deps.logger.warn({ feedId, err: (err as Error).message }, 'usage feed poll failed');
  }
  return (await Feed.findById(feed._id).lean().exec()) as FeedDoc;
}

/** One pass of the poller: every feed that is due. */
export async function runFeedPolls(deps: Deps): Promise<number> {
  const due = await deps.models.Feed.find({ nextPollAt: { $lte: new Date() } }).select({ _id: 1 }).limit(20).lean().exec();
  await Promise.all(due.map((f) => pollFeed(deps, f._id).catch((err) => deps.logger.error({ err }, 'feed poll crashed'))));
  return due.length;
}

/** One registered feed, or null. */
export function usageFeed(deps: Deps, feedId: string): Promise<FeedDoc | null> {
  return deps.models.Feed.findById(feedId).lean().exec() as Promise<FeedDoc | null>;
}

/** Every registered feed, by id. */
export function usageFeeds(deps: Deps): Promise<FeedDoc[]> {
  return deps.models.Feed.find({}).sort({ _id: 1 }).lean().exec() as Promise<FeedDoc[]>;
}
