import { GraphQLScalarType, Kind, type ValueNode } from 'graphql';
import { Dec } from '@exchange/pricing';

/**
 * The DateTime and Decimal scalars of both subgraphs.
 *
 * Input passes through unchecked: the domain validates it and names the offending input field
 * (e.g. `input.interval.end`), which a scalar coercion error could not do, and one bad usage record
 * must not fail a whole batch. A number literal stays a number, so the domain refuses it as "not a
 * decimal string" / "not an ISO-8601 instant" naming the field.
 *
 * Output is strict: an instant is always printed as ISO-8601 UTC with milliseconds, a decimal only
 * from a string (or an exact decimal object), never from a JS number that may already have lost
 * exactness or print as "1e-7". A value that breaks this is a server bug and fails the field.
 */
function literal(ast: ValueNode): unknown {
  if (ast.kind === Kind.STRING) return ast.value;
  if (ast.kind === Kind.INT || ast.kind === Kind.FLOAT) return Number(ast.value);
  return undefined;
}

// An instant names its offset: a string without one would be read in the server's own zone.
const ZONED_ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

/** The ISO-8601 UTC text of a stored instant; TypeError for anything that is not one. */
export function serializeDateTime(v: unknown): string {
  let d: Date | null = null;
  if (v instanceof Date) d = v;
  else if (typeof v === 'string' && ZONED_ISO.test(v)) d = new Date(v);
  if (!d || Number.isNaN(d.getTime())) throw new TypeError(`DateTime cannot represent ${JSON.stringify(String(v)).slice(0, 60)}`);
  return d.toISOString();
}

/** The decimal text of a stored amount; TypeError for a JS number or anything else. */
export function serializeDecimal(v: unknown): string {
  if (typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v)) return v;
  if (Dec.isDecimal(v) && (v as Dec).isFinite()) return (v as Dec).toFixed();
  throw new TypeError(`Decimal must be stored as a decimal string (got ${typeof v === 'string' ? JSON.stringify(v.slice(0, 40)) : typeof v})`);
}

export const DateTimeScalar = new GraphQLScalarType({
  name: 'DateTime',
  description: 'An instant in ISO-8601 with a time zone, e.g. 2026-12-01T00:00:00Z.',
  serialize: serializeDateTime,
  parseValue: (v) => v,
  parseLiteral: literal,
});

export const DecimalScalar = new GraphQLScalarType({
  name: 'Decimal',
  description: 'An exact decimal number written as a string, e.g. "0.012500". Never a float.',
  serialize: serializeDecimal,
  parseValue: (v) => v,
  parseLiteral: literal,
});
