// Issue 20 (medium, "a token is many tokens"): base64url decoding skips foreign characters, so junk
// inserted into a signature still verified and one token became any number of distinct strings.
import { checkTokenShape, createTokenVerifier, MAX_TOKEN_LENGTH } from '../../../platform/src/auth';
import { token } from '../../support/harness';

const withSignature = (jwt: string, f: (sig: string) => string) => {
  const [h, p, s] = jwt.split('.');
  return `${h}.${p}.${f(s)}`;
};

describe('one canonical form per token', () => {
  const verifier = createTokenVerifier({});

  it('verifies the token as issued', async () => {
    const t = await token('PARTNER', 'p-1');
    expect(() => checkTokenShape(t)).not.toThrow();
    await expect(verifier.verify(t)).resolves.toMatchObject({ sub: 'p-1', role: 'PARTNER' });
  });

  it('refuses junk characters inserted into the signature, padding and non-canonical trailing bits', async () => {
    const t = await token('PARTNER', 'p-1');
    const junk = withSignature(t, (s) => s.slice(0, 10) + '!!~~**' + s.slice(10));
    await expect(verifier.verify(junk)).rejects.toMatchObject({ extensions: { code: 'UNAUTHENTICATED' } });
    await expect(verifier.verify(withSignature(t, (s) => `${s}=`))).rejects.toMatchObject({ extensions: { code: 'UNAUTHENTICATED' } });
    // The standard-base64 spelling of a signature differs only where it has '-' or '_' (about 3 in
    // 4 do): take the first such token, so the refusal is tested on every run, not on half of them.
    let url = t;
    for (let i = 0; !/[-_]/.test(url.split('.')[2]); i++) url = await token('PARTNER', `p-1-${i}`);
    await expect(verifier.verify(withSignature(url, (s) => s.replace(/-/g, '+').replace(/_/g, '/')))).rejects.toThrow(/./);
    // An HS256 signature is 32 bytes = 43 characters: the last one carries 2 bits nobody reads.
    // Every other character with the same 4 leading bits decodes to the same signature.
    const sig = t.split('.')[2];
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const last = alphabet.indexOf(sig[sig.length - 1]);
    const sibling = alphabet[last ^ 1];
    const variant = withSignature(t, (s) => s.slice(0, -1) + sibling);
    expect(Buffer.from(variant.split('.')[2], 'base64url').equals(Buffer.from(sig, 'base64url'))).toBe(true);
    await expect(verifier.verify(variant)).rejects.toMatchObject({ extensions: { code: 'UNAUTHENTICATED' } });
  });

  it('refuses tokens longer than the documented maximum before verifying them', () => {
    const long = `${'a'.repeat(MAX_TOKEN_LENGTH)}.b.c`;
    expect(() => checkTokenShape(long)).toThrow(`longer than ${MAX_TOKEN_LENGTH} characters`);
    expect(() => checkTokenShape('a.b')).toThrow('three');
  });
});
