// The carrier's pages, one file each.
export { CarrierRequests } from './requests';
export { CarrierRequest } from './request';
export { Settlement } from './settlement';
