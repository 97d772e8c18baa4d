import { z } from 'zod';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { bearerToken, ConfigError, createTokenSigner, createTokenVerifier, loadConfig, port } from '@exchange/platform';

describe('loadConfig', () => {
  const schema = z.object({ A_PORT: port(4000), B_URL: z.string().url() });

  it('applies defaults and coerces', () => {
    expect(loadConfig(schema, { B_URL: 'http://x.test/' })).toEqual({ A_PORT: 4000, B_URL: 'http://x.test/' });
  });

  it('names every bad or missing variable at once', () => {
    try {
      loadConfig(schema, { A_PORT: '99999' });
      throw new Error('should have failed');
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const msg = (err as Error).message;
      expect(msg).toContain('A_PORT');
      expect(msg).toContain('B_URL');
    }
  });

  it('treats empty strings as unset', () => {
    expect(loadConfig(schema, { A_PORT: '', B_URL: 'http://x.test/' }).A_PORT).toBe(4000);
  });
});

describe('token verification', () => {
  it('accepts a development HS256 token and returns sub and role', async () => {
    const sign = await createTokenSigner({});
    const verifier = createTokenVerifier({});
    const id = await verifier.verify(await sign('buyer-1', 'BUYER'));
    expect(id).toMatchObject({ sub: 'buyer-1', role: 'BUYER' });
  });

  it('rejects unknown roles, wrong secrets and expired tokens with UNAUTHENTICATED', async () => {
    const verifier = createTokenVerifier({});
    const secret = new TextEncoder().encode('another-secret-of-enough-length');
    const wrongSecret = await new SignJWT({ role: 'ADMIN' }).setProtectedHeader({ alg: 'HS256' }).setSubject('x').sign(secret);
    const devSign = await createTokenSigner({});
    const expired = await devSign('x', 'ADMIN', '-1m');
    const badRole = await new SignJWT({ role: 'KING' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('x')
      .sign(new TextEncoder().encode('telecom-exchange-development-secret-do-not-use-in-production'));
    for (const t of [wrongSecret, expired, badRole, 'garbage']) {
      await expect(verifier.verify(t)).rejects.toMatchObject({ extensions: { code: 'UNAUTHENTICATED' } });
    }
  });

  it('with a JWKS accepts the private key holder and refuses HS256 tokens (no shared secret)', async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
    const dir = mkdtempSync(path.join(tmpdir(), 'jwks-'));
    const pub = { ...(await exportJWK(publicKey)), kid: 'moderator-1', alg: 'ES256', use: 'sig' };
    const priv = { ...(await exportJWK(privateKey)), kid: 'moderator-1', alg: 'ES256' };
    writeFileSync(path.join(dir, 'jwks.json'), JSON.stringify({ keys: [pub] }));
    writeFileSync(path.join(dir, 'private.json'), JSON.stringify(priv));
    const verifier = createTokenVerifier({ JWT_JWKS_FILE: path.join(dir, 'jwks.json') });
    expect(verifier.mode).toBe('jwks');
    const sign = await createTokenSigner({ signingKeyFile: path.join(dir, 'private.json') });
    await expect(verifier.verify(await sign('moderator', 'MODERATOR'))).resolves.toMatchObject({ role: 'MODERATOR' });
    const hs = await (await createTokenSigner({}))('moderator', 'MODERATOR');
    await expect(verifier.verify(hs)).rejects.toMatchObject({ extensions: { code: 'UNAUTHENTICATED' } });
  });

  it('parses bearer headers strictly', () => {
    expect(bearerToken('Bearer abc.def.ghi')).toBe('abc.def.ghi');
    expect(bearerToken(undefined)).toBeUndefined();
    expect(() => bearerToken('Basic dXNlcjpwYXNz')).toThrow(/Bearer/);
  });
});
