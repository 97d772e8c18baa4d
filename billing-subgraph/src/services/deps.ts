import type { Logger, PubSub } from '@exchange/platform';
import type { BillingConfig } from '../config';
import type { BillingModels } from '../store/models';

/** What every application service needs; built once in app.ts. */
export interface Deps {
  models: BillingModels;
  pubsub: PubSub;
  logger: Logger;
  config: BillingConfig;
  /** Base URL of the bill website as buyers and carriers reach it (no trailing slash). */
  publicBase(): string;
  /** Wakes the delivery worker (bills just issued). */
  kickDeliveries(): void;
  /** Signs a service token (billing -> moderator relay). */
  signToken(sub: string, role: 'BILLING_AGENT', expiresIn?: string): Promise<string>;
}

export const BILL_ISSUED_TOPIC = 'billing.billIssued';

export interface BillIssuedEvent {
  billId: string;
  buyerId: string;
  carrierId: string;
  /** Whose delivery this event is (absent on events of older processes: everyone concerned). */
  recipientRole?: 'BUYER' | 'CARRIER';
}

/**
 * The UTC calendar month of an instant: the billing period of a buyer without a billing profile,
 * and the period a stored billing record omits (store/billing-record-format.ts). Buyers with a
 * profile have their own periods (rating.ts, domain/billing-profile.ts).
 */
export function periodOf(d: Date): string {
  return d.toISOString().slice(0, 7);
}
