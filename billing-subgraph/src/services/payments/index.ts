export * from './payments';
export * from './ledger';
export * from './disputes';
export * from './reconciliation';
