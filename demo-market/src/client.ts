// The simulator's only way into the exchange: GraphQL and route lookups over HTTP to the gateway,
// each party with its own development token, as a portal, a carrier's system or a switch would.
import { createTokenSigner, type Role } from '@exchange/platform';

export interface Party {
  role: Role;
  sub: string;
}

/** A GraphQL call that returned errors; `codes` are the errors' extension codes. */
export class GraphQLCallError extends Error {
  constructor(
    message: string,
    readonly codes: string[],
  ) {
    super(message);
  }
}

/** Development tokens per party, re-signed well before they expire. */
export class TokenSource {
  private readonly cache = new Map<string, { token: string; renewAt: number }>();
  private signer?: Promise<(sub: string, role: Role, expiresIn?: string) => Promise<string>>;

  constructor(private readonly auth: { JWT_SECRET?: string; JWT_ISSUER?: string; JWT_AUDIENCE?: string; JWT_MAX_LIFETIME_SECONDS?: number }) {}

  async tokenFor(p: Party): Promise<string> {
    const key = `${p.role}:${p.sub}`;
    const hit = this.cache.get(key);
    if (hit && hit.renewAt > Date.now()) return hit.token;
    this.signer ??= createTokenSigner({ JWT_SECRET: this.auth.JWT_SECRET, issuer: this.auth.JWT_ISSUER, audience: this.auth.JWT_AUDIENCE });
    const lifetime = Math.min(3600, this.auth.JWT_MAX_LIFETIME_SECONDS ?? 3600);
    const token = await (await this.signer)(p.sub, p.role, `${lifetime}s`);
    this.cache.set(key, { token, renewAt: Date.now() + lifetime * 750 });
    return token;
  }
}

/** The route server's answer to one lookup: the HTTP status and the JSON body. */
export interface RouteAnswer {
  status: number;
  body: {
    result?: string;
    carrierId?: string;
    selectionId?: string;
    requestId?: string;
    buyerId?: string;
    reason?: string;
  };
}

export class GatewayClient {
  readonly routeUrl: string;

  constructor(
    readonly graphqlUrl: string,
    private readonly tokens: TokenSource,
    private readonly timeoutMs = 15_000,
  ) {
    // CONTRACT §1: the gateway host forwards /route/... to the route server unchanged.
    this.routeUrl = new URL('/route/json', graphqlUrl).toString();
  }

  async gql<T = Record<string, any>>(as: Party, query: string, variables: Record<string, unknown> = {}): Promise<T> {
    const res = await fetch(this.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${await this.tokens.tokenFor(as)}` },
      body: JSON.stringify({ query, variables }),
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    const text = await res.text();
    let body: { data?: T | null; errors?: { message: string; extensions?: { code?: string } }[] };
    try {
      body = JSON.parse(text);
    } catch {
      throw new GraphQLCallError(`gateway answered ${res.status} without JSON: ${text.slice(0, 200)}`, [`HTTP_${res.status}`]);
    }
    if (body.errors?.length || !body.data) {
      const errors = body.errors ?? [];
      throw new GraphQLCallError(errors.map((e) => e.message).join('; ') || `HTTP ${res.status} without data`, errors.map((e) => e.extensions?.code ?? 'UNKNOWN'));
    }
    return body.data;
  }

  /** One switch lookup: GET /route/json with the buyer switch's key, for a call at `at`. */
  async route(key: string, buyerId: string, number: string, at: Date): Promise<RouteAnswer> {
    const url = new URL(this.routeUrl);
    url.searchParams.set('number', number);
    url.searchParams.set('buyer', buyerId);
    url.searchParams.set('at', at.toISOString());
    const res = await fetch(url, { headers: { 'x-api-key': key, accept: 'application/json' }, signal: AbortSignal.timeout(this.timeoutMs) });
    const text = await res.text();
    let body: RouteAnswer['body'] = {};
    try {
      body = JSON.parse(text);
    } catch {
      body = { result: `HTTP_${res.status}` };
    }
    return { status: res.status, body };
  }
}
