import type { RouteDecisionResolvers } from '../generated';
import type { ModeratorContext as Ctx } from '../context';
import type { RouteDecision as Decision } from '../../services/routing';

export const RouteDecision: RouteDecisionResolvers<Ctx> = {
  matchedPrefix: (d: Decision) => d.entry?.prefix ?? null,
  carrier: (d: Decision, _, ctx) => (d.entry ? ctx.loaders.carrier.load(d.entry.carrierId) : null),
  selection: (d: Decision, _, ctx) => (d.entry ? ctx.loaders.selection.load(d.entry.selectionId) : null),
  ratePerUnit: (d: Decision) => d.entry?.ratePerUnit ?? null,
  currency: (d: Decision) => d.entry?.currency ?? null,
};
