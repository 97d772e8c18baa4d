export * from './auction';
export * from './board';
export * from './market';
export * from './dealings';
export * from './scheduler';
