// Role sets by meaning and the one role check both subgraphs and the platform use.
import { ADMINISTRATORS, hasRole, requireRole, RUNS_BILLING, SEES_EVERY_PARTY, type Identity, type Role } from '@exchange/platform';
import { AppError } from '@exchange/pricing';

const as = (role: Role): Identity => ({ sub: `${role.toLowerCase()}-1`, role, token: 't' });

function codeOf(fn: () => unknown): string | null {
  try {
    fn();
    return null;
  } catch (e) {
    if (e instanceof AppError) return e.code;
    throw e;
  }
}

describe('role sets', () => {
  it('say who sees every party, who administers and who runs billing', () => {
    expect([...SEES_EVERY_PARTY].sort()).toEqual(['ADMIN', 'BILLING_AGENT', 'MODERATOR']);
    expect(ADMINISTRATORS).toEqual(['ADMIN']);
    expect([...RUNS_BILLING].sort()).toEqual(['ADMIN', 'BILLING_AGENT']);
    // Tenants are in none of them.
    for (const r of ['BUYER', 'CARRIER', 'PARTNER', 'METER', 'LEC'] as Role[]) {
      expect([hasRole(as(r), SEES_EVERY_PARTY), hasRole(as(r), ADMINISTRATORS), hasRole(as(r), RUNS_BILLING)]).toEqual([false, false, false]);
    }
  });

  it('hasRole: an anonymous caller has no role', () => {
    expect(hasRole(null, SEES_EVERY_PARTY)).toBe(false);
    expect(hasRole(undefined, ADMINISTRATORS)).toBe(false);
    expect(hasRole(as('MODERATOR'), SEES_EVERY_PARTY)).toBe(true);
    expect(hasRole(as('MODERATOR'), ADMINISTRATORS)).toBe(false);
  });

  it('requireRole: UNAUTHENTICATED without a token, FORBIDDEN naming the operation for another role', () => {
    expect(codeOf(() => requireRole(null, ['BUYER']))).toBe('UNAUTHENTICATED');
    expect(codeOf(() => requireRole(as('CARRIER'), ['BUYER', 'ADMIN']))).toBe('FORBIDDEN');
    expect(() => requireRole(as('CARRIER'), RUNS_BILLING, 'generateBills')).toThrow('generateBills is reserved to ADMIN, BILLING_AGENT');
    expect(requireRole(as('ADMIN'), ['BUYER', 'ADMIN']).sub).toBe('admin-1');
  });
});
