// The bill pages, one file each, and the bills table other pages show.
export { BillsTable, useBillIssued, type BillRow, type Money } from './table';
export { BillsPage } from './list';
export { BillPage } from './bill';
