import type { IncomingMessage } from 'node:http';
import { getOperationAST, parse, stripIgnoredCharacters } from 'graphql';

/** Bodies larger than this are not joined (big bodies are ingestion mutations, and keys stay small). */
const MAX_JOINABLE_BODY = 64 * 1024;
/** Distinct operation texts whose kind is remembered. */
const KINDS_REMEMBERED = 2_000;
/**
 * Bytes of operation text remembered at most (keys are texts without comments and insignificant
 * whitespace): unauthenticated queries padded with 40 KB comments filled the memo with 2,000 × 40 KB.
 */
export const KINDS_REMEMBERED_BYTES = 1024 * 1024;
/** A text longer than this (after stripping) is classified but not remembered. */
const MAX_REMEMBERED_TEXT = 8 * 1024;

const kinds = new Map<string, boolean>();
let rememberedBytes = 0;

/** The memo's size (for tests and metrics): entries and bytes of their keys. */
export const kindMemoSize = () => ({ entries: kinds.size, bytes: rememberedBytes });

/**
 * True when `query` (with `operationName`) selects a query operation: only those may be joined,
 * never a mutation (each must run) nor a subscription. Unparseable text is not joined (Apollo will
 * refuse it). Remembered per text, so each distinct operation is parsed here once.
 */
export function isDedupableQuery(query: unknown, operationName: unknown, maxTokens: number): boolean {
  if (typeof query !== 'string' || (operationName !== undefined && operationName !== null && typeof operationName !== 'string')) return false;
  let stripped: string;
  try {
    stripped = stripIgnoredCharacters(query);
  } catch {
    return false; // not GraphQL: Apollo refuses it
  }
  const memo = `${operationName ?? ''}\n${stripped}`;
  let kind = kinds.get(memo);
  if (kind === undefined) {
    try {
      kind = getOperationAST(parse(stripped, { maxTokens }), (operationName as string | null | undefined) ?? undefined)?.operation === 'query';
    } catch {
      kind = false;
    }
    if (memo.length <= MAX_REMEMBERED_TEXT) {
      while (kinds.size > 0 && (kinds.size >= KINDS_REMEMBERED || rememberedBytes + memo.length > KINDS_REMEMBERED_BYTES)) {
        const oldest = kinds.keys().next().value!;
        kinds.delete(oldest);
        rememberedBytes -= oldest.length;
      }
      kinds.set(memo, kind);
      rememberedBytes += memo.length;
    }
  }
  return kind;
}

/**
 * The inbound key of a JSON POST: one execution answers everyone sending the very same body with
 * the same credentials (the Authorization header, i.e. the same identity) and asking for the same
 * response format (Accept). Undefined when the request must run on its own.
 */
export function inboundKey(
  req: IncomingMessage,
  raw: string,
  body: unknown,
  maxTokens: number,
  /** The verified caller (datasource callerKey); by default the Authorization header. */
  caller: string = String(req.headers.authorization ?? ''),
): string | undefined {
  if (raw.length > MAX_JOINABLE_BODY || !body || typeof body !== 'object' || Array.isArray(body)) return undefined;
  const { query, operationName } = body as { query?: unknown; operationName?: unknown };
  if (!isDedupableQuery(query, operationName, maxTokens)) return undefined;
  const preflight = req.headers['apollo-require-preflight'] ?? req.headers['x-apollo-operation-name'] ?? '';
  return `${caller}\n${req.headers.accept ?? ''}\n${preflight}\n${raw}`;
}
