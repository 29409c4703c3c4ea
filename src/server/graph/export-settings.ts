/** How the emulated Graph billing exports behave (docs/api.md, "Microsoft's billing exports, served"). */
export interface ExportSettings {
  /** Polls of an operation answered "running" (with Retry-After) before its outcome. */
  readonly runningPolls: number;
  /** The Retry-After of a running operation, in seconds. */
  readonly retryAfterSeconds: number;
  /** How long a manifest's SAS token is valid (Microsoft's: one hour). */
  readonly sasSeconds: number;
  /** Lines per blob: a larger snapshot is several blobs, as Microsoft's are. */
  readonly blobLines: number;
}

export const DEFAULT_EXPORT_SETTINGS: ExportSettings = {
  runningPolls: 1,
  retryAfterSeconds: 1,
  sasSeconds: 3600,
  blobLines: 100_000,
};

const ENV: Record<keyof ExportSettings, { name: string; min: number }> = {
  runningPolls: { name: 'PARTNER_USAGE_EXPORT_POLLS', min: 0 },
  retryAfterSeconds: { name: 'PARTNER_USAGE_EXPORT_RETRY_AFTER', min: 0 },
  sasSeconds: { name: 'PARTNER_USAGE_EXPORT_SAS_SECONDS', min: 1 },
  blobLines: { name: 'PARTNER_USAGE_EXPORT_BLOB_LINES', min: 1 },
};

/** The settings from PARTNER_USAGE_EXPORT_*; a value that is not a whole number in range is refused. */
export function exportSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): ExportSettings {
  const settings: Record<string, number> = { ...DEFAULT_EXPORT_SETTINGS };
  for (const [key, { name, min }] of Object.entries(ENV)) {
    const text = env[name]?.trim();
    if (!text) continue;
    const value = /^\d{1,9}$/.test(text) ? Number(text) : NaN;
    if (!(value >= min))
      throw new RangeError(`${name} must be a whole number from ${min}, got ${JSON.stringify(text)}`);
    settings[key] = value;
  }
  return settings as unknown as ExportSettings;
}
