import type { BaseContext } from '@exchange/platform';
import type { ModeratorModels } from '../store/models';
import type { Loaders } from './loaders';
import type { ModeratorServices } from '../services';

export interface ModeratorContext extends BaseContext {
  models: ModeratorModels;
  loaders: Loaders;
  services: ModeratorServices;
}
