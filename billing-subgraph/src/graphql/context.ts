import type { BaseContext } from '@exchange/platform';
import type { BillingModels } from '../store/models';

export interface BillingContext extends BaseContext {
  models: BillingModels;
}
