import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { GraphQLError } from 'graphql';

export const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * The persisted operations partners may run: a JSON object `{ "<sha256 hex of the query text>": "<query>" }`.
 * A partner sends either the exact query text or only its hash, as
 * `extensions: { persistedQuery: { version: 1, sha256Hash } }` (Apollo's APQ request shape).
 */
export class OperationAllowList {
  private readonly byHash: Map<string, string>;

  constructor(entries: Record<string, string>) {
    this.byHash = new Map();
    for (const [hash, query] of Object.entries(entries)) {
      const actual = sha256(query);
      if (actual !== hash.toLowerCase()) throw new Error(`persisted operation ${hash}: its query hashes to ${actual}`);
      this.byHash.set(actual, query);
    }
  }

  static fromFile(file: string): OperationAllowList {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed) || !Object.values(parsed).every((v) => typeof v === 'string')) {
      throw new Error(`${file}: expected a JSON object of sha256 → query text`);
    }
    return new OperationAllowList(parsed as Record<string, string>);
  }

  get size() {
    return this.byHash.size;
  }

  queryFor(hash: string): string | undefined {
    return this.byHash.get(hash.toLowerCase());
  }

  allows(query: string): boolean {
    return this.byHash.has(sha256(query));
  }
}

export function persistedHashOf(extensions: unknown): string | undefined {
  const pq = (extensions as { persistedQuery?: { sha256Hash?: unknown } } | undefined)?.persistedQuery;
  return typeof pq?.sha256Hash === 'string' ? pq.sha256Hash : undefined;
}

export const notAllowedForPartner = () =>
  new GraphQLError('Partners may only run the persisted operations of the partner allow-list', {
    extensions: { code: 'FORBIDDEN', reason: 'OPERATION_NOT_IN_ALLOW_LIST', http: { status: 403 } },
  });

export const unknownPersistedOperation = () =>
  new GraphQLError('Unknown persisted operation: send the query text or a hash from the allow-list', {
    extensions: { code: 'PERSISTED_QUERY_NOT_FOUND', http: { status: 400 } },
  });
