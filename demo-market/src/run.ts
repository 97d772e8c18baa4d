// The demo market on the wall clock: decides whether it may run, prepares the market and steps it
// every DEMO_MARKET_TICK_MS until stopped, logging one summary line a minute.
import { randomBytes } from 'node:crypto';
import type { Logger } from '@exchange/platform';
import { GatewayClient, TokenSource } from './client';
import { demoMarketDecision, loadDemoMarketConfig } from './config';
import { seededRng } from './domain/rng';
import { DemoMarket, DemoPartiesMissing, summary } from './market';

export interface DemoMarketRun {
  market: DemoMarket;
  /** Ends the loop after the step in progress. */
  stop(): Promise<void>;
}

const SUMMARY_EVERY_MS = 60_000;

/** Whether an error is the gateway not (yet) answering, worth another try at start-up. */
function unreachable(err: unknown): boolean {
  const cause = (err as { cause?: { code?: string } })?.cause;
  return err instanceof TypeError && ['ECONNREFUSED', 'ECONNRESET', 'UND_ERR_SOCKET'].includes(cause?.code ?? '');
}

/**
 * Starts the demo market if `env` allows it; null (after one log line saying why) when it does
 * not run: switched off, production, or no demo parties. Throws on a bad variable (ConfigError).
 */
export async function startDemoMarket(env: NodeJS.ProcessEnv, logger: Logger): Promise<DemoMarketRun | null> {
  const decision = demoMarketDecision(env);
  if (!decision.run) {
    if (decision.refused) logger.error(decision.reason);
    else if (decision.production) logger.warn(decision.reason);
    else logger.info(decision.reason);
    return null;
  }
  const config = loadDemoMarketConfig(env);
  const seed = config.DEMO_MARKET_SEED ?? Date.now() % 2_147_483_647;
  const market = new DemoMarket({
    client: new GatewayClient(config.GATEWAY_URL, new TokenSource(config)),
    logger,
    rng: seededRng(seed),
    runId: `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`,
    tickMs: config.DEMO_MARKET_TICK_MS,
    maxRequests: config.DEMO_MARKET_MAX_REQUESTS,
    callsPerMinute: config.DEMO_MARKET_CALLS_PER_MINUTE,
    billPeriodMs: config.DEMO_MARKET_BILL_PERIOD_MS,
    timing: { requestEveryMs: config.DEMO_MARKET_REQUEST_EVERY_MS },
    // The moderator's scheduler closes bidding at its time; the buyer closes only what it left open.
    settleDelayMs: 3_000,
  });
  for (let attempt = 1; ; attempt++) {
    try {
      await market.setup();
      break;
    } catch (err) {
      if (err instanceof DemoPartiesMissing) {
        logger.warn(`demo market not started: ${err.message}`);
        return null;
      }
      if (!unreachable(err) || attempt >= 15) throw err;
      await new Promise((r) => setTimeout(r, 2_000));
    }
  }
  logger.info({ seed, gateway: config.GATEWAY_URL }, 'demo market running (DEMO_MARKET=false switches it off)');

  let stopping = false;
  let wake: (() => void) | undefined;
  const loop = (async () => {
    let lastSummary = Date.now();
    while (!stopping) {
      await market.step();
      if (Date.now() - lastSummary >= SUMMARY_EVERY_MS) {
        lastSummary = Date.now();
        logger.info(summary(market.counts));
      }
      if (stopping) break;
      await new Promise<void>((r) => {
        const t = setTimeout(r, config.DEMO_MARKET_TICK_MS);
        wake = () => {
          clearTimeout(t);
          r();
        };
      });
    }
  })();
  return {
    market,
    async stop() {
      stopping = true;
      wake?.();
      await loop;
      logger.info(`${summary(market.counts)} (stopped)`);
    },
  };
}
