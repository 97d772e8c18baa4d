// The exchange's one error type and its helpers (pricing/src/app-error.ts), re-exported here so
// the domain's call sites keep importing them from './errors'.
export { AppError, badInput, conflict, forbidden, notFound, unauthenticated, type AppErrorCode } from '@exchange/pricing';
