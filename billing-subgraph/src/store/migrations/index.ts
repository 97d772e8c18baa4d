import { billSubDocuments } from './0001-bill-sub-documents';
import { paymentIds } from './0002-payment-ids';
import { slotSampleSubDocuments } from './0003-slot-sample-sub-documents';
import type { Migration } from './runner';

export { runMigrations, DEFAULT_MIGRATION_TIMING, type Migration, type MigrationOutcome, type MigrationRecord, type MigrationTiming } from './runner';

/**
 * Billing's migrations, in the order they run. Append only: a released id is never renamed,
 * reordered or removed (its record in `migrations` says it ran).
 */
export const BILLING_MIGRATIONS: readonly Migration[] = [billSubDocuments, paymentIds, slotSampleSubDocuments];
