export * from './record';
export * from './balances';
export * from './statements';
export * from './listing';
export * from './ledger';
export * from './disputes';
export * from './reconciliation';
