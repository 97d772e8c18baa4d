import { z } from 'zod';

/** Raised when the environment does not satisfy a service's schema; names every bad variable. */
export class ConfigError extends Error {
  constructor(public readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/**
 * Validates `env` against a zod object schema whose keys are environment variable names.
 * Fails with every problem at once so an operator fixes them in one go.
 */
export function loadConfig<S extends z.ZodObject>(schema: S, env: NodeJS.ProcessEnv = process.env): z.infer<S> {
  // Empty strings are treated as unset so `FOO= npm start` falls back to the default.
  const cleaned: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && v !== '') cleaned[k] = v;
  // Libraries (Express's error pages, React) compare NODE_ENV exactly: `Production` is written as they expect.
  if (isProductionNodeEnv(env.NODE_ENV)) {
    cleaned.NODE_ENV = 'production';
    if (env === process.env) process.env.NODE_ENV = 'production';
  }
  const result = schema.safeParse(cleaned);
  if (!result.success) {
    throw new ConfigError(result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`));
  }
  return result.data;
}

export const port = (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback);
export const mongoUri = z
  .string()
  .regex(/^mongodb(\+srv)?:\/\//, 'must be a mongodb:// or mongodb+srv:// connection string');
export const httpUrl = z.string().url().regex(/^https?:\/\//, 'must be an http(s) URL');
export const logLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info');
export const bool = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0'])
    .default(fallback ? 'true' : 'false')
    .transform((v) => v === 'true' || v === '1');

/** Auth-related variables shared by every service that verifies tokens. */
export const authEnv = {
  JWT_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
  JWT_JWKS_FILE: z.string().optional(),
  JWT_JWKS_URL: httpUrl.optional(),
  JWT_ISSUER: z.string().optional(),
  JWT_AUDIENCE: z.string().optional(),
  /** Longest a token may still be valid for, in seconds (tokens must carry exp); 24 h by default. */
  JWT_MAX_LIFETIME_SECONDS: z.coerce.number().int().min(60).max(31 * 86_400).default(86_400),
  /** Verified tokens remembered until their exp, so each is checked once (0: verify every request). */
  JWT_CACHE_SIZE: z.coerce.number().int().min(0).default(10_000),
};

/** Operation limits a subgraph applies itself (the gateway has the same variables). */
export const queryLimitEnv = {
  /** Deepest field nesting (one more than the gateway's 12: entity fetches add `_entities`). */
  MAX_QUERY_DEPTH: z.coerce.number().int().min(1).default(13),
  /** 5,000: the gateway's limit. A buyer calling a subgraph directly gets no more than through the gateway. */
  MAX_QUERY_COST: z.coerce.number().int().min(1).default(5_000),
  /**
   * 100,000 for operator tokens (ADMIN, BILLING_AGENT, MODERATOR) only: operator tools and billing
   * agents call a subgraph directly for whole pages (1,000 billing records with their segments
   * cost ~60,000); every attack of the security review still costs far more (2^22 fragment
   * spreads, 1,000 aliased __schema = 250,000, 2,400 settlement statements = 602,400).
   */
  OPERATOR_MAX_QUERY_COST: z.coerce.number().int().min(1).default(100_000),
  DEFAULT_LIST_SIZE: z.coerce.number().int().min(1).default(10),
  MAX_QUERY_TOKENS: z.coerce.number().int().min(100).default(10000),
  MAX_LIST_ITEMS: z.coerce.number().int().min(1).default(10000),
};

/** The OperationLimits of a config that spread queryLimitEnv. */
export function queryLimitsOf(c: { MAX_QUERY_DEPTH: number; MAX_QUERY_COST: number; OPERATOR_MAX_QUERY_COST?: number; DEFAULT_LIST_SIZE: number; MAX_QUERY_TOKENS: number; MAX_LIST_ITEMS: number }) {
  return {
    maxDepth: c.MAX_QUERY_DEPTH,
    maxCost: c.MAX_QUERY_COST,
    operatorMaxCost: c.OPERATOR_MAX_QUERY_COST,
    defaultListSize: c.DEFAULT_LIST_SIZE,
    maxTokens: c.MAX_QUERY_TOKENS,
    maxListItems: c.MAX_LIST_ITEMS,
  };
}

/** Runs `fn` and turns a ConfigError into a clear message and exit code 1 (for main.ts files). */
export function exitOnConfigError<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(1);
    }
    throw err;
  }
}

/** Settings whose presence marks a production deployment, like NODE_ENV=production. */
export const PRODUCTION_KEY_SETTINGS = ['JWT_JWKS_FILE', 'JWT_JWKS_URL', 'MODERATOR_SIGNING_KEY_FILE', 'BILLING_SIGNING_KEY_FILE'] as const;

/**
 * NODE_ENV names production in any letter case and with surrounding blanks (`Production`,
 * ` PRODUCTION`): compared exactly, `NODE_ENV=Production` ran with every development default.
 */
export function isProductionNodeEnv(value: string | undefined): boolean {
  return value?.trim().toLowerCase() === 'production';
}

/** Production: NODE_ENV=production (any case) or any production key setting (empty values count as unset). */
export function isProduction(env: NodeJS.ProcessEnv = process.env): boolean {
  return isProductionNodeEnv(env.NODE_ENV) || PRODUCTION_KEY_SETTINGS.some((k) => !!env[k]);
}

/**
 * The operator surfaces (the schema, `_service`, /metrics, the landing page) are off by default in
 * production and on in development; an explicit setting wins. Returns those settings so resolved.
 */
export function offInProductionUnlessSet<K extends string>(env: NodeJS.ProcessEnv, c: Record<K, boolean>, keys: readonly K[]): Record<K, boolean> {
  const production = isProduction(env);
  return Object.fromEntries(keys.map((k) => [k, env[k] ? c[k] : !production])) as Record<K, boolean>;
}

/** The repository's development values: never accepted as a secret in production. */
const DEVELOPMENT_VALUES = new Set([
  'telecom-exchange-development-secret-do-not-use-in-production',
  'development-pseudonym-secret',
]);

export interface ProductionRequirements {
  /** The service verifies tokens: needs JWT_JWKS_FILE/JWT_JWKS_URL, or a JWT_SECRET of its own. */
  tokens?: boolean;
  /** Secrets that must be set (and not a development value) in production, by variable name. */
  secrets?: string[];
  /** The service signs calls to another service with this private-key variable (or an own JWT_SECRET without JWKS). */
  signingKey?: string;
}

/** Minimum length of a JWT_SECRET in production (HS256 wants at least 256 bits). */
export const PRODUCTION_MIN_SECRET_LENGTH = 32;

/**
 * What a production deployment (see isProduction) is missing: every problem names its variable.
 * Development defaults (the secret in this repository, derived link keys, the default
 * pseudonym key) are refused, so production never runs on values anyone can read here.
 */
export function productionProblems(env: NodeJS.ProcessEnv, req: ProductionRequirements): string[] {
  if (!isProduction(env)) return [];
  const set = (k: string) => (env[k] !== undefined && env[k] !== '' ? env[k] : undefined);
  const problems: string[] = [];
  const jwks = set('JWT_JWKS_FILE') || set('JWT_JWKS_URL');
  const secret = set('JWT_SECRET');
  const ownSecret = !!secret && !DEVELOPMENT_VALUES.has(secret) && secret.length >= PRODUCTION_MIN_SECRET_LENGTH;
  if (req.tokens && !jwks) {
    if (!secret) problems.push('JWT_JWKS_FILE / JWT_JWKS_URL / JWT_SECRET: production needs real token keys: set JWT_JWKS_FILE or JWT_JWKS_URL (public keys), or a JWT_SECRET of your own');
    else if (!ownSecret) problems.push(`JWT_SECRET: in production it must be your own secret of at least ${PRODUCTION_MIN_SECRET_LENGTH} characters, not the development secret`);
  }
  for (const name of req.secrets ?? []) {
    const v = set(name);
    if (!v) problems.push(`${name}: required in production (no development default)`);
    else if (DEVELOPMENT_VALUES.has(v)) problems.push(`${name}: in production it must not be a development value`);
  }
  if (req.signingKey && !set(req.signingKey) && (jwks || !ownSecret)) {
    problems.push(`${req.signingKey}: required in production (a private JWK to sign this service's calls; the development secret is never used)`);
  }
  return problems;
}

/** Throws a ConfigError naming every variable a production deployment is missing. */
export function assertProductionReady(env: NodeJS.ProcessEnv, req: ProductionRequirements): void {
  const problems = productionProblems(env, req);
  if (problems.length) throw new ConfigError([`production (NODE_ENV=production or a production key setting) refuses to start:`, ...problems]);
}
