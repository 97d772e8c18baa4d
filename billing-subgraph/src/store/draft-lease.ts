import type { BillDoc, BillingModels } from './models';

/** A DRAFT older than this belongs to a run that died; another run completes it. */
export const DRAFT_LEASE_MS = 60_000;

const heartbeatId = (runId: string) => `billrun|${runId}`;

/** Records that bill run `runId` is alive (its drafts are leased to it). */
export async function beat(models: BillingModels, runId: string): Promise<void> {
  await models.Counter.updateOne({ _id: heartbeatId(runId) }, { $set: { value: new Date().toISOString() } }, { upsert: true }).exec();
}

/** A DRAFT whose run has neither created it nor sent a heartbeat within DRAFT_LEASE_MS belongs to a run that died. */
export async function leaseExpired(models: BillingModels, draft: BillDoc): Promise<boolean> {
  const now = Date.now();
  if (now - (draft.draftAt?.getTime() ?? 0) <= DRAFT_LEASE_MS) return false;
  if (!draft.runId) return true;
  const hb = await models.Counter.findById(heartbeatId(draft.runId)).lean().exec();
  return !hb || now - Date.parse(hb.value) > DRAFT_LEASE_MS;
}

/** A finished run drops its heartbeat. */
export async function endRun(models: BillingModels, runId: string): Promise<void> {
  await models.Counter.deleteOne({ _id: heartbeatId(runId) }).exec();
}
