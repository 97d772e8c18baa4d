import { GraphQLError } from 'graphql';
import pino from 'pino';
import { createErrorFormatter } from '@exchange/platform';
import { AppError, badInput, conflict, forbidden, notFound, unauthenticated } from '@exchange/pricing';
import * as billingDomain from '../../../billing-subgraph/src/domain/errors';
import * as billingAccess from '../../../billing-subgraph/src/services/access';
import * as moderatorDomain from '../../../moderator-subgraph/src/domain/errors';
import * as moderatorErrors from '../../../moderator-subgraph/src/services/errors';

// How a resolver's error reaches the formatter: wrapped by graphql-js with the field's path.
const thrownBy = (err: Error) => new GraphQLError(err.message, { path: ['someField'], originalError: err });

describe('the one error type', () => {
  it('is the same class and the same helpers in pricing and both subgraphs', () => {
    for (const m of [billingDomain, billingAccess, moderatorDomain, moderatorErrors]) {
      expect(m.AppError).toBe(AppError);
      expect(m.badInput).toBe(badInput);
      expect(m.forbidden).toBe(forbidden);
      expect(m.notFound).toBe(notFound);
      expect(m.conflict).toBe(conflict);
      expect(m.unauthenticated).toBe(unauthenticated);
    }
  });

  it('carries a code, a message and the field to fix', () => {
    const e = badInput('input.amount', 'input.amount must be > 0');
    expect(e).toBeInstanceOf(Error);
    expect({ code: e.code, message: e.message, field: e.field }).toEqual({ code: 'BAD_USER_INPUT', message: 'input.amount must be > 0', field: 'input.amount' });
    expect(conflict('busy').field).toBeUndefined();
    expect(forbidden('not yours', 'input.partyId').field).toBe('input.partyId');
  });

  it('reaches a client as extensions.code and extensions.field; anything else is hidden', () => {
    const codes: string[] = [];
    const format = createErrorFormatter(pino({ level: 'silent' }), (c) => codes.push(c));
    const shown = (err: Error) => {
      const g = thrownBy(err);
      return format(g.toJSON(), g);
    };
    expect(shown(badInput('input.billId', 'input.billId is required'))).toEqual({
      message: 'input.billId is required',
      path: ['someField'],
      extensions: { code: 'BAD_USER_INPUT', field: 'input.billId' },
    });
    expect(shown(unauthenticated('Authentication required'))).toEqual({ message: 'Authentication required', path: ['someField'], extensions: { code: 'UNAUTHENTICATED' } });
    expect(shown(new Error('E11000 duplicate key on billing.bills'))).toEqual({ message: 'Internal server error', path: ['someField'], extensions: { code: 'INTERNAL_SERVER_ERROR' } });
    expect(codes).toEqual(['BAD_USER_INPUT', 'UNAUTHENTICATED', 'INTERNAL_SERVER_ERROR']);
  });
});
