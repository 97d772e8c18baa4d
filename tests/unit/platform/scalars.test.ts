// The DateTime and Decimal scalars of both subgraphs: strict on output, pass-through on input
// (the domain names the bad field), exercised through graphql-js execution.
import { buildSchema, graphql, type GraphQLSchema } from 'graphql';
import { DateTimeScalar, DecimalScalar, serializeDateTime, serializeDecimal } from '@exchange/platform';
import { Dec } from '@exchange/pricing';

function schemaReturning(value: unknown): GraphQLSchema {
  const s = buildSchema('scalar DateTime scalar Decimal type Query { at: DateTime amount: Decimal echo(at: DateTime, amount: Decimal): String }');
  Object.assign(s.getType('DateTime')!, { serialize: DateTimeScalar.serialize, parseValue: DateTimeScalar.parseValue, parseLiteral: DateTimeScalar.parseLiteral });
  Object.assign(s.getType('Decimal')!, { serialize: DecimalScalar.serialize, parseValue: DecimalScalar.parseValue, parseLiteral: DecimalScalar.parseLiteral });
  const q = s.getQueryType()!.getFields();
  q.at.resolve = () => value;
  q.amount.resolve = () => value;
  q.echo.resolve = (_: unknown, args: Record<string, unknown>) => JSON.stringify(args);
  return s;
}

describe('DateTime', () => {
  it('prints every instant as ISO-8601 UTC with milliseconds', () => {
    expect(serializeDateTime(new Date('2026-12-01T00:00:00Z'))).toBe('2026-12-01T00:00:00.000Z');
    expect(serializeDateTime('2026-12-01T01:30:00+01:30')).toBe('2026-12-01T00:00:00.000Z');
    expect(serializeDateTime('2026-12-01T00:00:00.123Z')).toBe('2026-12-01T00:00:00.123Z');
  });

  it('refuses to print what is not an instant with a zone (a server bug fails the field)', async () => {
    for (const bad of [new Date('nope'), '2026-12-01', '2026-12-01T00:00:00', 'tomorrow', 1764547200000, {}]) {
      expect(() => serializeDateTime(bad)).toThrow(TypeError);
    }
    const res = await graphql({ schema: schemaReturning('2026-12-01T00:00:00'), source: '{ at }' });
    expect(res.data?.at).toBeNull();
    expect(res.errors?.[0].message).toMatch(/DateTime cannot represent/);
  });

  it('passes input through unchanged, number literals as numbers, for the domain to judge', async () => {
    const res = await graphql({ schema: schemaReturning(null), source: '{ a: echo(at: "2026-12-01T00:00:00Z") b: echo(at: 12) }' });
    expect(res.data).toEqual({ a: '{"at":"2026-12-01T00:00:00Z"}', b: '{"at":12}' });
  });
});

describe('Decimal', () => {
  it('prints decimal strings as they are and exact decimals in plain notation', () => {
    expect(serializeDecimal('0.012500')).toBe('0.012500');
    expect(serializeDecimal('-3')).toBe('-3');
    expect(serializeDecimal(new Dec('0.0000001'))).toBe('0.0000001');
  });

  it('refuses JS numbers and non-decimal text on output', async () => {
    for (const bad of [0.1, 12, 1e-7, NaN, '1e-7', 'abc', '', true]) expect(() => serializeDecimal(bad)).toThrow(TypeError);
    const res = await graphql({ schema: schemaReturning(0.1), source: '{ amount }' });
    expect(res.data?.amount).toBeNull();
    expect(res.errors?.[0].message).toMatch(/Decimal must be stored as a decimal string/);
  });

  it('passes input through: a string stays exact, a number literal stays a number the domain refuses', async () => {
    const res = await graphql({
      schema: schemaReturning(null),
      source: 'query($v: Decimal) { a: echo(amount: "12.50") b: echo(amount: 12.5) c: echo(amount: $v) }',
      variableValues: { v: '0.1' },
    });
    expect(res.data).toEqual({ a: '{"amount":"12.50"}', b: '{"amount":12.5}', c: '{"amount":"0.1"}' });
  });
});
