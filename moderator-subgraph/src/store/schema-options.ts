/** Every moderator collection: no __v, and empty objects kept as written. */
export const SCHEMA_OPTIONS = { versionKey: false, minimize: false } as const;
