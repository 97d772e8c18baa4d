import { DateTimeScalar, DecimalScalar } from '@exchange/platform';
import type { Resolvers } from '../generated';
import type { BillingContext } from '../context';
import { Bill } from './bill';
import { BillingProfile } from './billing-profile';
import { BillingRecord } from './billing-record';
import { BillingWebhook } from './billing-webhook';
import { Buyer } from './buyer';
import { Carrier } from './carrier';
import { Dispute } from './dispute';
import { LedgerEntry } from './ledger-entry';
import { Mutation } from './mutation';
import { Payment } from './payment';
import { Query } from './query';
import { RejectedUsage } from './rejected-usage';
import { SelectionRecord } from './selection-record';
import { ServiceRequest } from './service-request';
import { SettlementStatement } from './settlement-statement';
import { Subscription } from './subscription';
import { UsageFeed } from './usage-feed';
import { UsageRecord } from './usage-record';
import { UsageReporter } from './usage-reporter';

/** One file per type; the types not listed resolve by property name. */
export const resolvers: Resolvers<BillingContext> = {
  DateTime: DateTimeScalar,
  Decimal: DecimalScalar,
  Query,
  Mutation,
  Subscription,
  Buyer,
  Carrier,
  ServiceRequest,
  SelectionRecord,
  UsageRecord,
  BillingRecord,
  Bill,
  Payment,
  SettlementStatement,
  LedgerEntry,
  BillingProfile,
  UsageFeed,
  UsageReporter,
  BillingWebhook,
  RejectedUsage,
  Dispute,
  BillDelivery: {},
};
