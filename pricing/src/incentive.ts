import type { TierModel } from './tiers';

/** VOLUME_GB: per GB transferred. PERCENTILE_95: per Mbps of the 95th-percentile 5-minute sample. */
export type DataChargeModel = 'VOLUME_GB' | 'PERCENTILE_95';

/** Voice rating blocks, e.g. 60/60 per minute, 30/6, 1/1 per second. */
export interface BillingIncrement {
  initialSeconds: number;
  subsequentSeconds: number;
}

export interface RateTier {
  /** Canonical positive decimal string in the rate's unit (minutes, GB or Mbps); the tier applies from here on. */
  fromQuantity: string;
  ratePerUnit: string;
}

/**
 * A carrier's economic incentive: what the Moderator validates on a bid, ranks by, and hands to
 * billing on the selection record, and what billing rates usage with. Optional parts are absent
 * where they do not apply (billingIncrement: VOICE only; dataChargeModel: DATA only).
 */
export interface EconomicIncentive {
  currency: string;
  /** Rate from quantity 0 up to the first tier. */
  ratePerUnit: string;
  tierModel?: TierModel;
  /** Sorted by strictly increasing fromQuantity; may be empty. */
  tiers?: RateTier[];
  billingIncrement?: BillingIncrement;
  dataChargeModel?: DataChargeModel;
  /** Per billing period. */
  minimumCharge?: string;
  setupFee?: string;
}

/** An incentive with every default filled in, as the rating functions consume it. */
export type NormalizedIncentive = EconomicIncentive & Required<Pick<EconomicIncentive, 'tierModel' | 'tiers' | 'billingIncrement' | 'dataChargeModel'>>;
