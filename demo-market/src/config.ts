import { z } from 'zod';
import { bool, httpUrl, isProduction, loadConfig, logLevel } from '@exchange/platform';

const ms = (fallback: number, min = 100) => z.coerce.number().int().min(min).max(86_400_000).default(fallback);

const schema = z.object({
  /** The gateway's GraphQL URL; the route server is reached through the same host at /route/. */
  GATEWAY_URL: httpUrl.default('http://127.0.0.1:4000/graphql'),
  /** How often the simulator acts (bids, closes, places calls, reports CDRs). */
  DEMO_MARKET_TICK_MS: ms(2_000),
  /** How often a demo buyer posts a new request. */
  DEMO_MARKET_REQUEST_EVERY_MS: ms(10_000),
  /** No requests after this many (per simulator start), so a long-running stack stops growing. */
  DEMO_MARKET_MAX_REQUESTS: z.coerce.number().int().min(0).max(100_000).default(200),
  /** Calls each buyer's switch places per minute while it has routes. */
  DEMO_MARKET_CALLS_PER_MINUTE: z.coerce.number().int().min(0).max(6_000).default(20),
  /** Length of the demo bill periods billed by generateBills (the billing cycle itself is monthly). */
  DEMO_MARKET_BILL_PERIOD_MS: ms(300_000, 60_000),
  /** Seed of the simulator's random choices (default: from the clock). */
  DEMO_MARKET_SEED: z.coerce.number().int().optional(),
  LOG_LEVEL: logLevel,
  /** The services' token secret (development tokens are signed with it, or with the development secret). */
  JWT_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
  JWT_ISSUER: z.string().optional(),
  JWT_AUDIENCE: z.string().optional(),
  /** The services refuse tokens valid for longer: the simulator's last at most this long (and at most an hour). */
  JWT_MAX_LIFETIME_SECONDS: z.coerce.number().int().min(60).max(31 * 86_400).default(86_400),
});

export type DemoMarketConfig = z.infer<typeof schema>;

export interface DemoMarketDecision {
  run: boolean;
  /** Asked for (DEMO_MARKET=true) where it may never run: production. */
  refused: boolean;
  /** Production (where it never runs; `npm start` says so). */
  production: boolean;
  /** One line for the log. */
  reason: string;
}

const flag = (v: string | undefined): boolean | undefined => {
  if (v === undefined || v === '') return undefined;
  const parsed = bool(false).safeParse(v);
  // A value that is not a boolean never switches a simulator on.
  return parsed.success ? parsed.data : false;
};

/**
 * Whether the demo market runs: DEMO_MARKET=true/false decides, unset follows SEED_DEMO_DATA.
 * Production never runs it: it signs development tokens and writes made-up traffic and bills.
 */
export function demoMarketDecision(env: NodeJS.ProcessEnv = process.env): DemoMarketDecision {
  const asked = flag(env.DEMO_MARKET);
  if (isProduction(env)) {
    return asked
      ? { run: false, refused: true, production: true, reason: 'DEMO_MARKET=true is refused in production (NODE_ENV=production or production keys): the demo market is never run there' }
      : { run: false, refused: false, production: true, reason: 'demo market not started: production (NODE_ENV=production or production keys)' };
  }
  if (asked === false) return { run: false, refused: false, production: false, reason: 'demo market off (DEMO_MARKET=false)' };
  if (asked === true) return { run: true, refused: false, production: false, reason: 'demo market on (DEMO_MARKET=true)' };
  return flag(env.SEED_DEMO_DATA)
    ? { run: true, refused: false, production: false, reason: 'demo market on (SEED_DEMO_DATA=true; DEMO_MARKET=false switches it off)' }
    : { run: false, refused: false, production: false, reason: 'demo market off (SEED_DEMO_DATA is not on)' };
}

export function loadDemoMarketConfig(env: NodeJS.ProcessEnv = process.env): DemoMarketConfig {
  return loadConfig(schema, env);
}
