// The duplicate-key helpers both subgraphs make writes happen once with: what counts as a
// duplicate, and which documents of an unordered insert were refused.
import { duplicateIndexes, firstDuplicate, isDuplicateKey } from '@exchange/platform';

const dupError = (index: number) => ({ index, code: 11000, errmsg: 'E11000 duplicate key error collection: x index: _id_' });

describe('duplicate keys', () => {
  it('recognises a single-write duplicate by code or, from FerretDB, by its E11000 message', () => {
    expect(isDuplicateKey({ code: 11000 })).toBe(true);
    expect(isDuplicateKey(Object.assign(new Error('E11000 duplicate key error'), { code: undefined }))).toBe(true);
    expect(isDuplicateKey({ code: 121 })).toBe(false);
    expect(isDuplicateKey(new Error('connection reset'))).toBe(false);
    expect(isDuplicateKey(null)).toBe(false);
  });

  it('names the refused indexes of an unordered insert only when every refusal is a duplicate', () => {
    expect(duplicateIndexes({ writeErrors: [dupError(1), dupError(4)] })).toEqual(new Set([1, 4]));
    expect(duplicateIndexes({ writeErrors: dupError(2) })).toEqual(new Set([2]));
    expect(duplicateIndexes({ writeErrors: [dupError(1), { index: 2, code: 121, errmsg: 'Document failed validation' }] })).toBeNull();
    expect(duplicateIndexes(new Error('timeout'))).toBeNull();
  });

  it('finds the first refused document of an ordered insert', () => {
    expect(firstDuplicate({ writeErrors: [dupError(3)] })).toBe(3);
    expect(firstDuplicate({ code: 11000 })).toBe(0);
    expect(firstDuplicate({ writeErrors: [{ index: 0, code: 2 }] })).toBeNull();
  });
});
