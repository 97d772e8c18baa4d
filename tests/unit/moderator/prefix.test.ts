import { AppError } from '../../../moderator-subgraph/src/domain/errors';
import {
  isPrefixOf,
  longestMatchingPrefix,
  normalizePrefix,
  validatePrefix,
} from '../../../moderator-subgraph/src/domain/prefix';

describe('E.164 prefixes', () => {
  it('strips one leading + and keeps digits', () => {
    expect(validatePrefix('p', '+44')).toBe('44');
    expect(validatePrefix('p', '442071')).toBe('442071');
    expect(validatePrefix('p', '1')).toBe('1');
    expect(validatePrefix('p', '123456789012345')).toBe('123456789012345');
  });

  it.each([['044'], ['44a'], [''], ['+'], ['++44'], ['1234567890123456'], [' 44'], ['4 4'], ['-44'], ['0']])(
    'rejects %j with the field named',
    (v) => {
      let err: unknown;
      try {
        validatePrefix('input.routes[0].destination', v);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(AppError);
      expect((err as AppError).field).toBe('input.routes[0].destination');
      expect((err as AppError).code).toBe('BAD_USER_INPUT');
    },
  );

  it('rejects non-strings', () => {
    expect(() => validatePrefix('p', 44)).toThrow(AppError);
    expect(normalizePrefix('+0')).toBeNull();
  });

  it('matches prefixes digit-wise', () => {
    expect(isPrefixOf('44', '4420')).toBe(true);
    expect(isPrefixOf('4420', '4420')).toBe(true);
    expect(isPrefixOf('4420', '44')).toBe(false);
    expect(isPrefixOf('', '44')).toBe(false);
    expect(longestMatchingPrefix(['4', '44', '4420', '4421'], '442071234')).toBe('4420');
    expect(longestMatchingPrefix(['33', '49'], '442071234')).toBeUndefined();
  });
});
