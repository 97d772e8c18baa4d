import type { MutationResolvers } from '../generated';
import type { ModeratorContext as Ctx } from '../context';

// Inputs reach the services as sent: the services validate them field by field (BAD_USER_INPUT naming the field).
export const Mutation: MutationResolvers<Ctx> = {
  registerBuyer: (_, a, ctx) => ctx.services.parties.registerBuyer(ctx.identity, a.input as never),
  registerCarrier: (_, a, ctx) => ctx.services.parties.registerCarrier(ctx.identity, a.input as never),
  createServiceRequest: (_, a, ctx) => ctx.services.auction.createRequest(ctx.identity, a.input as never),
  cancelServiceRequest: (_, a, ctx) => ctx.services.auction.cancelRequest(ctx.identity, a.id),
  submitBid: (_, a, ctx) => ctx.services.auction.submitBid(ctx.identity, a.input as never),
  withdrawBid: (_, a, ctx) => ctx.services.auction.withdrawBid(ctx.identity, a.bidId),
  closeBidding: (_, a, ctx) => ctx.services.auction.closeBidding(ctx.identity, a.requestId),
  relayBill: (_, a, ctx) => ctx.services.relays.relayBill(ctx.identity, a.input as never),
  addCarrierTrunk: (_, a, ctx) => ctx.services.trunks.add(ctx.identity, a.input as never),
  removeCarrierTrunk: (_, a, ctx) => ctx.services.trunks.remove(ctx.identity, a.id),
  createSwitchKey: (_, a, ctx) => ctx.services.switchKeys.create(ctx.identity, a.input as never),
  revokeSwitchKey: (_, a, ctx) => ctx.services.switchKeys.revoke(ctx.identity, a.id),
};
