import { badInput } from '../access';
import type { Deps } from '../deps';
import type { ReporterDoc } from '../../store/models';

/** Registers (or replaces) a METER or LEC reporter and the buyers it may report usage for. */
export async function registerUsageReporter(deps: Deps, input: Record<string, any>) {
  if (typeof input.id !== 'string' || input.id === '' || input.id.length > 200) throw badInput('input.id', 'input.id is required');
  if (input.kind !== 'METER' && input.kind !== 'LEC') throw badInput('input.kind', 'input.kind must be METER or LEC');
  if (!Array.isArray(input.buyerIds) || input.buyerIds.some((b: unknown) => typeof b !== 'string' || b === '')) throw badInput('input.buyerIds', 'input.buyerIds must list buyer ids');
  const doc = { _id: input.id, kind: input.kind, buyerIds: [...new Set<string>(input.buyerIds)], updatedAt: new Date() };
  await deps.models.Reporter.replaceOne({ _id: doc._id }, doc, { upsert: true }).exec();
  return doc;
}

/** Every registered reporter, by id. */
export function usageReporters(deps: Deps): Promise<ReporterDoc[]> {
  return deps.models.Reporter.find({}).sort({ _id: 1 }).lean().exec() as Promise<ReporterDoc[]>;
}
