import { GraphQLScalarType, Kind, type ValueNode } from 'graphql';

/**
 * Both scalars pass input through unchanged: the domain validates it and names the offending input
 * field (e.g. `input.interval.end`), which a scalar coercion error could not do.
 */
function literal(ast: ValueNode): unknown {
  if (ast.kind === Kind.STRING) return ast.value;
  if (ast.kind === Kind.INT || ast.kind === Kind.FLOAT) return Number(ast.value);
  return undefined;
}

export const DateTimeScalar = new GraphQLScalarType({
  name: 'DateTime',
  description: 'An instant in ISO-8601 with a time zone, e.g. 2026-12-01T00:00:00Z.',
  serialize(v) {
    const d = v instanceof Date ? v : new Date(v as string);
    if (Number.isNaN(d.getTime())) throw new TypeError('DateTime cannot represent an invalid date');
    return d.toISOString();
  },
  parseValue: (v) => v,
  parseLiteral: literal,
});

export const DecimalScalar = new GraphQLScalarType({
  name: 'Decimal',
  description: 'An exact decimal number written as a string, e.g. "0.012500". Never a float.',
  serialize(v) {
    if (typeof v !== 'string') throw new TypeError('Decimal must be stored as a string');
    return v;
  },
  parseValue: (v) => v,
  parseLiteral: literal,
});
