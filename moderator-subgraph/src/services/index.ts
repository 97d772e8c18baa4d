import type { Logger, PubSub } from '@exchange/platform';
import type { ModeratorModels } from '../store/models';
import type { AuctionService } from './auction';
import type { Dealings } from './dealings';
import type { MarketService } from './market';
import type { PartyService } from './parties';
import type { RelayService } from './relays';
import type { RoutingService } from './routing';
import type { TrunkService } from './trunks';
import type { SwitchKeyService } from './switch-keys';
import type { RouteAttemptsService } from './route-attempts';

export interface ModeratorServices {
  models: ModeratorModels;
  pubsub: PubSub;
  logger: Logger;
  parties: PartyService;
  /** Which carriers a buyer has dealt with (may read), yeses remembered. */
  dealings: Dealings;
  auction: AuctionService;
  routing: RoutingService;
  trunks: TrunkService;
  switchKeys: SwitchKeyService;
  routeAttempts: RouteAttemptsService;
  relays: RelayService;
  market: MarketService;
  pseudonymSecret: string;
}
