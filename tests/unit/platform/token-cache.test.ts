// Verified tokens are remembered until their exp and never past it; the cache is bounded.
import { SignJWT } from 'jose';
import { createTokenVerifier, DEV_JWT_SECRET, TokenCache, type Identity } from '@exchange/platform';

const id = (sub: string): Identity => ({ sub, role: 'BUYER', token: `t-${sub}` });

describe('TokenCache', () => {
  it('answers until the expiry and drops the entry from then on', () => {
    const cache = new TokenCache(10);
    cache.set('t', id('alice'), 2_000, 1_000);
    expect(cache.get('t', 1_999)).toEqual(id('alice'));
    expect(cache.get('t', 2_000)).toBeUndefined();
    expect(cache.size).toBe(0);
    // An already expired token is not stored at all.
    cache.set('old', id('bob'), 500, 1_000);
    expect(cache.get('old', 0)).toBeUndefined();
  });

  it('keeps at most maxEntries, dropping the least recently used', () => {
    const cache = new TokenCache(2);
    cache.set('a', id('a'), 10_000, 0);
    cache.set('b', id('b'), 10_000, 0);
    expect(cache.get('a', 1)).toBeDefined(); // a is now the most recently used
    cache.set('c', id('c'), 10_000, 1);
    expect(cache.size).toBe(2);
    expect(cache.get('b', 2)).toBeUndefined();
    expect(cache.get('a', 2)).toBeDefined();
    expect(cache.get('c', 2)).toBeDefined();
    const off = new TokenCache(0);
    off.set('a', id('a'), 10_000, 0);
    expect(off.get('a', 1)).toBeUndefined();
  });
});

describe('createTokenVerifier with its cache', () => {
  afterEach(() => jest.useRealTimers());

  it('refuses a token once it has expired, although it was verified (and cached) before', async () => {
    jest.useFakeTimers({ now: new Date('2026-12-01T00:00:00Z'), doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    const secret = new TextEncoder().encode(DEV_JWT_SECRET);
    const now = Math.floor(Date.now() / 1000);
    const t = await new SignJWT({ role: 'BUYER' }).setProtectedHeader({ alg: 'HS256' }).setSubject('alice').setIssuedAt(now).setExpirationTime(now + 60).sign(secret);
    const verifier = createTokenVerifier({});
    expect(await verifier.verify(t)).toEqual({ sub: 'alice', role: 'BUYER', token: t });
    jest.setSystemTime(new Date('2026-12-01T00:00:59Z'));
    expect((await verifier.verify(t)).sub).toBe('alice');
    jest.setSystemTime(new Date('2026-12-01T00:01:00Z'));
    await expect(verifier.verify(t)).rejects.toMatchObject({ extensions: { code: 'UNAUTHENTICATED' } });
  });

  it('hands out copies: a caller changing its identity does not change the next caller', async () => {
    const t = await new SignJWT({ role: 'BUYER' }).setProtectedHeader({ alg: 'HS256' }).setSubject('alice').setIssuedAt().setExpirationTime('1h').sign(new TextEncoder().encode(DEV_JWT_SECRET));
    const verifier = createTokenVerifier({});
    const first = await verifier.verify(t);
    (first as { sub: string }).sub = 'mallory';
    expect((await verifier.verify(t)).sub).toBe('alice');
  });
});
