// The billing computer's pure domain: no database, no GraphQL, no clock unless injected.
export * from './errors';
export * from './money';
export * from './time';
export * from './incentive';
export * from './increments';
export * from './tiers';
export * from './rating';
export * from './usage';
export * from './text';
export * from './association';
export * from './bill-assembly';
export * from './ledger';
export * from './bill-number';
export * from './webhook';
export * from './cdr-csv';
export * from './address';
export * from './payment-key';
