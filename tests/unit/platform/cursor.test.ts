// The one page-cursor codec (billing's listings, the Moderator's market feed), and the cursors
// clients may still hold from before it.
import { decodeCursor, encodeCursor } from '@exchange/platform';
import { AppError } from '@exchange/pricing';

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64url');

describe('page cursors', () => {
  it('round-trip a time-ordered and an id-ordered position, opaque and URL-safe', () => {
    const timed = { at: new Date('2026-12-15T00:00:00.123Z'), id: 'sr_0123abcd' };
    const text = encodeCursor(timed);
    expect(text).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(text)).toEqual(timed);
    expect(decodeCursor(encodeCursor({ id: 'usage:42|a' }))).toEqual({ at: null, id: 'usage:42|a' });
  });

  it('no cursor is no position', () => {
    expect(decodeCursor(undefined)).toBeNull();
    expect(decodeCursor(null)).toBeNull();
  });

  it('still reads the cursors issued before: the market feed (mb1) and billing (JSON array)', () => {
    expect(decodeCursor(b64('mb1:1765756800123:sr_0123abcd'))).toEqual({ at: new Date(1765756800123), id: 'sr_0123abcd' });
    expect(decodeCursor(b64(JSON.stringify(['2026-12-15T00:00:00.000Z', 'bill_1'])))).toEqual({ at: new Date('2026-12-15T00:00:00.000Z'), id: 'bill_1' });
    expect(decodeCursor(b64(JSON.stringify(['u_9'])))).toEqual({ at: null, id: 'u_9' });
  });

  it.each([
    '',
    'not a cursor',
    'x'.repeat(601),
    b64('mb1:x:sr'),
    b64('mb1:1:a b'),
    b64('p1:abc:id'),
    b64('p1:99999999999999999:id'), // past the last representable instant
    b64('p1:1:'),
    b64(JSON.stringify(['2026-12-15', 'bill_1'])), // no time zone
    b64(JSON.stringify([1, 2])),
    b64(JSON.stringify({ id: 'x' })),
  ])('refuses %j with BAD_USER_INPUT naming the field', (value) => {
    expect(() => decodeCursor(value, 'after')).toThrow(AppError);
    try {
      decodeCursor(value, 'input.after');
    } catch (err) {
      expect(err).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.after' });
    }
  });
});
