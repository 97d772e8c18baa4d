export * from './profiles';
export * from './webhooks';
