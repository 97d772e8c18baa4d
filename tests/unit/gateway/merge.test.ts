// Writing several planner fetches as one query and splitting its answer back (gateway/src/merge.ts).
import { parse, print } from 'graphql';
import { mergeOperations, mergeVariables, splitAnswer } from '../../../gateway/src/merge';

const BUYER = 'query($representations:[_Any!]!){_entities(representations:$representations){...on Buyer{name}}}';
const CARRIER = 'query Page__moderator__2($representations:[_Any!]!,$flag:Boolean!){_entities(representations:$representations){...F @include(if:$flag)}} fragment F on Carrier{name}';

describe('mergeOperations', () => {
  it('aliases root fields and renames variables and fragments per fetch', () => {
    const plan = mergeOperations([BUYER, CARRIER], 'Page__moderator__1')!;
    expect(print(parse(plan.query))).toBe(
      print(
        parse(`query Page__moderator__1($v0_representations: [_Any!]!, $v1_representations: [_Any!]!, $v1_flag: Boolean!) {
          f0__entities: _entities(representations: $v0_representations) { ... on Buyer { name } }
          f1__entities: _entities(representations: $v1_representations) { ...F1_F @include(if: $v1_flag) }
        }
        fragment F1_F on Carrier { name }`),
      ),
    );
    expect(mergeVariables(plan, [{ representations: [{ __typename: 'Buyer', id: 'b' }] }, { representations: [], flag: true }])).toEqual({
      v0_representations: [{ __typename: 'Buyer', id: 'b' }],
      v1_representations: [],
      v1_flag: true,
    });
  });

  it('refuses mutations, several operations and conditional fragments at the root', () => {
    expect(mergeOperations([BUYER, 'mutation { touch }'])).toBeUndefined();
    expect(mergeOperations([BUYER, 'query A { a } query B { b }'])).toBeUndefined();
    expect(mergeOperations([BUYER, 'query($x: Boolean!) { ... @include(if: $x) { a } }'])).toBeUndefined();
    expect(mergeOperations([BUYER, 'not graphql {'])).toBeUndefined();
  });
});

describe('splitAnswer', () => {
  const plan = mergeOperations([BUYER, CARRIER])!;

  it('gives each fetch its own fields and the errors under them, with their own paths', () => {
    const parts = splitAnswer(plan, 2, {
      data: { f0__entities: [{ name: 'A' }], f1__entities: [null] },
      errors: [
        { message: 'no', path: ['f1__entities', 0, 'name'], extensions: { code: 'FORBIDDEN' } },
        { message: 'about the request', extensions: { code: 'X' } },
      ],
    }).parts!;
    expect(parts[0]).toEqual({ data: { _entities: [{ name: 'A' }] }, errors: [{ message: 'about the request', extensions: { code: 'X' } }] });
    expect(parts[1].data).toEqual({ _entities: [null] });
    expect(parts[1].errors).toEqual([
      { message: 'no', path: ['_entities', 0, 'name'], extensions: { code: 'FORBIDDEN' } },
      { message: 'about the request', extensions: { code: 'X' } },
    ]);
  });

  it('without data: settles the _entities fetch that failed and leaves the others to be sent again', () => {
    const split = splitAnswer(plan, 2, { data: null, errors: [{ message: 'boom', path: ['f0__entities'], extensions: { code: 'FORBIDDEN' } }] });
    expect(split.parts).toBeUndefined();
    expect([...split.failed!]).toEqual([[0, { data: null, errors: [{ message: 'boom', path: ['_entities'], extensions: { code: 'FORBIDDEN' } }] }]]);
    // Refused as a whole: nothing is known about any fetch.
    expect(splitAnswer(plan, 2, { errors: [{ message: 'refused' }] }).failed!.size).toBe(0);
  });
});
