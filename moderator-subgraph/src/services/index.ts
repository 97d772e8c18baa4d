import type { Logger, PubSub } from '@exchange/platform';
import type { ModeratorModels } from '../store/models';
import type { AuctionService } from './market/auction';
import type { Dealings } from './market/dealings';
import type { MarketService } from './market/market';
import type { PartyService } from './parties';
import type { RelayService } from './events/relays';
import type { RoutingService } from './routing/routing';
import type { TrunkService } from './routing/trunks';
import type { SwitchKeyService } from './routing/switch-keys';
import type { RouteAttemptsService } from './routing/route-attempts';

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
