// The exchange's price arithmetic: pure, no I/O, imported by the Moderator (ranking) and the
// billing computer (rating and bills) so that both compute a cost with the same code.
export * from './decimal';
export * from './app-error';
export * from './tiers';
export * from './decimal-input';
export * from './currency';
export * from './incentive';
