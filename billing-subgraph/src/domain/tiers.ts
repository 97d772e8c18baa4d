// Tier arithmetic lives in the shared pricing package (the Moderator ranks with the same code);
// billing's domain re-exports it under the names its rating and bills use.
export { splitAcrossTiers, tierReached, usageCharge, type TierSegment, type TieredPrice } from '@exchange/pricing';
