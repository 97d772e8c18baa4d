export * from './outbox';
export * from './relays';
export * from './topics';
