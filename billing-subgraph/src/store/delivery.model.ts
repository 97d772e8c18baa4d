// How each bill reaches each recipient (services/bill-run/delivery.ts), and the parties' webhooks.
import { Schema, type Connection, type Model } from 'mongoose';
import { SCHEMA_OPTIONS as opts } from './schema-options';

export interface DeliveryDoc {
  _id: string; // `${billId}|${recipientId}|${channel}`
  billId: string;
  recipientId: string;
  recipientRole: 'BUYER' | 'CARRIER';
  channel: 'WEBSITE' | 'SUBSCRIPTION' | 'WEBHOOK' | 'MODERATOR_RELAY';
  path: 'DIRECT' | 'VIA_MODERATOR';
  state: 'PENDING' | 'DELIVERED' | 'FAILED';
  attempts: number;
  lastError?: string | null;
  deliveredAt?: Date | null;
  nextAttemptAt?: Date | null;
  leaseUntil?: Date | null;
  createdAt: Date;
}

export interface WebhookDoc {
  _id: string; // partyId
  url: string;
  secret: string;
  updatedAt: Date;
}

export function deliveryModel(conn: Connection): Model<DeliveryDoc> {
  const delivery = new Schema<DeliveryDoc>(
    {
      _id: { type: String, required: true },
      billId: String,
      recipientId: String,
      recipientRole: String,
      channel: String,
      path: String,
      state: String,
      attempts: Number,
      lastError: String,
      deliveredAt: Date,
      nextAttemptAt: Date,
      leaseUntil: Date,
      createdAt: Date,
    },
    opts,
  );
  delivery.index({ billId: 1 });
  delivery.index({ state: 1, nextAttemptAt: 1 });
  return conn.model<DeliveryDoc>('Delivery', delivery, 'deliveries');
}

export function webhookModel(conn: Connection): Model<WebhookDoc> {
  const webhook = new Schema<WebhookDoc>({ _id: { type: String, required: true }, url: String, secret: String, updatedAt: Date }, opts);
  return conn.model<WebhookDoc>('BillingWebhook', webhook, 'webhooks');
}
