import { Schema, type Connection, type Model } from 'mongoose';

export interface ServiceRequestDoc {
  _id: string;
  status: string;
  createdAt: Date;
}

export interface ModeratorModels {
  ServiceRequest: Model<ServiceRequestDoc>;
}

/** Registers the moderator's models on its own connection (its own database). */
export function registerModels(conn: Connection): ModeratorModels {
  const serviceRequest = new Schema<ServiceRequestDoc>(
    { _id: { type: String, required: true }, status: { type: String, required: true }, createdAt: { type: Date, required: true } },
    { versionKey: false },
  );
  return { ServiceRequest: conn.model<ServiceRequestDoc>('ServiceRequest', serviceRequest, 'service_requests') };
}
