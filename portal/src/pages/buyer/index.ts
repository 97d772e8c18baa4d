// The buyer's pages, one file each.
export { BuyerRequests } from './requests';
export { NewRequest } from './new-request';
export { BuyerRequest } from './request';
export { RoutingTablePage } from './routing';
