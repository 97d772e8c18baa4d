// The exchange's one error type and its helpers (pricing/src/app-error.ts), the same in both
// subgraphs; domain and services throw them alike and the platform's formatter maps them.
export { AppError, badInput, conflict, forbidden, notFound, unauthenticated, type AppErrorCode } from '../domain/errors';
// The role checks are the platform's (one signature for both subgraphs).
export { hasRole, requireIdentity, requireRole, SEES_EVERY_PARTY } from '@exchange/platform';
