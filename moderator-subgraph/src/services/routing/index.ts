export * from './routing';
export * from './route-attempts';
export * from './trunks';
export * from './switch-keys';
