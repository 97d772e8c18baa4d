// MongoDB's comparison rules, written out independently of the database under test, as the oracle
// of the engine tests: numbers of every BSON type (Int32, Int64, Double) compare by their exact
// values (a double is an exact binary fraction, compared as a rational with BigInt), values of
// different type brackets never match a comparison operator and sort by bracket, and a filter on
// a field holding an array matches when an element does. Covers the filters the engine tests
// generate: equality, $eq, $in and $gt/$gte/$lt/$lte on top-level fields.
import mongoose from 'mongoose';

const { Long, Double, Int32 } = mongoose.mongo;

interface Rational {
  n: bigint;
  d: bigint; // > 0
}

/** The exact value of a finite double as n / d. */
function doubleToRational(x: number): Rational {
  if (!Number.isFinite(x)) throw new Error(`not a finite double: ${x}`);
  if (x === 0) return { n: 0n, d: 1n };
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const bits = view.getBigUint64(0);
  const sign = bits >> 63n ? -1n : 1n;
  const exp = Number((bits >> 52n) & 0x7ffn);
  const frac = bits & ((1n << 52n) - 1n);
  // normal: (2^52 + frac) * 2^(exp-1075); subnormal: frac * 2^-1074
  const mant = exp === 0 ? frac : frac | (1n << 52n);
  const e = exp === 0 ? -1074 : exp - 1075;
  return e >= 0 ? { n: sign * mant * (1n << BigInt(e)), d: 1n } : { n: sign * mant, d: 1n << BigInt(-e) };
}

/** The exact value of a BSON number as the driver represents it, or undefined for non-numbers. */
export function numberValue(v: unknown): Rational | undefined {
  if (typeof v === 'number') return doubleToRational(v);
  if (v instanceof Long) return { n: BigInt(v.toString()), d: 1n };
  if (v instanceof Double) return doubleToRational(v.valueOf());
  if (v instanceof Int32) return { n: BigInt(v.valueOf()), d: 1n };
  return undefined;
}

function cmpRational(a: Rational, b: Rational): number {
  const l = a.n * b.d;
  const r = b.n * a.d;
  return l < r ? -1 : l > r ? 1 : 0;
}

/** MongoDB's type brackets, in sort order (the ones the tests use). */
function bracket(v: unknown): number {
  if (v === null || v === undefined) return 1;
  if (numberValue(v) !== undefined) return 2;
  if (typeof v === 'string') return 3;
  if (Array.isArray(v)) return 5;
  if (typeof v === 'boolean') return 8;
  if (v instanceof Date) return 9;
  if (typeof v === 'object') return 4;
  throw new Error(`no bracket for ${String(v)}`);
}

/** Compares two scalars as MongoDB sorts them: by bracket, then within it. */
export function compareValues(a: unknown, b: unknown): number {
  const ba = bracket(a);
  const bb = bracket(b);
  if (ba !== bb) return ba < bb ? -1 : 1;
  switch (ba) {
    case 1:
      return 0;
    case 2:
      return cmpRational(numberValue(a)!, numberValue(b)!);
    case 3:
      return Buffer.compare(Buffer.from(a as string), Buffer.from(b as string));
    case 8:
      return Number(a) - Number(b);
    case 9:
      return Math.sign((a as Date).getTime() - (b as Date).getTime());
    default:
      throw new Error('compareValues: documents and arrays are not compared by the tests');
  }
}

type Op = '$eq' | '$gt' | '$gte' | '$lt' | '$lte';

function scalarMatches(value: unknown, op: Op, operand: unknown): boolean {
  // Comparison operators only match within the operand's bracket.
  if (bracket(value) !== bracket(operand)) return false;
  const c = compareValues(value, operand);
  return op === '$eq' ? c === 0 : op === '$gt' ? c > 0 : op === '$gte' ? c >= 0 : op === '$lt' ? c < 0 : c <= 0;
}

/** A field's value matches `op operand`: itself, or (for an array) one of its elements. */
function fieldMatches(value: unknown, op: Op, operand: unknown): boolean {
  if (operand === null || Array.isArray(operand) || (typeof operand === 'object' && !(operand instanceof Date) && numberValue(operand) === undefined)) {
    throw new Error('the oracle compares scalars only');
  }
  if (Array.isArray(value)) return value.some((el) => !Array.isArray(el) && fieldMatches(el, op, operand));
  if (value === undefined) return false;
  return scalarMatches(value, op, operand);
}

function isOperatorDoc(c: unknown): c is Record<string, unknown> {
  return typeof c === 'object' && c !== null && !(c instanceof Date) && !Array.isArray(c) && numberValue(c) === undefined && Object.keys(c).every((k) => k.startsWith('$'));
}

/** Evaluates a filter of top-level field conditions on a document, by MongoDB's rules. */
export function matches(doc: Record<string, unknown>, filter: Record<string, unknown>): boolean {
  return Object.entries(filter).every(([field, cond]) => {
    const value = doc[field];
    if (!isOperatorDoc(cond)) return fieldMatches(value, '$eq', cond);
    return Object.entries(cond).every(([op, operand]) => {
      if (op === '$in') return (operand as unknown[]).some((o) => fieldMatches(value, '$eq', o));
      if (['$eq', '$gt', '$gte', '$lt', '$lte'].includes(op)) return fieldMatches(value, op as Op, operand);
      throw new Error(`the oracle does not evaluate ${op}`);
    });
  });
}

/** Sorts documents by scalar fields as MongoDB does (no arrays in sort fields). */
export function sortDocs<T extends Record<string, unknown>>(docs: T[], sort: Record<string, 1 | -1>): T[] {
  return [...docs].sort((a, b) => {
    for (const [f, dir] of Object.entries(sort)) {
      const c = compareValues(a[f], b[f]);
      if (c !== 0) return c * dir;
    }
    return 0;
  });
}
