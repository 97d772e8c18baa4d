import type { BaseContext } from '@exchange/platform';
import type { ModeratorModels } from '../store/models';

export interface ModeratorContext extends BaseContext {
  models: ModeratorModels;
}
