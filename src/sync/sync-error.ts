/** Why a sync failed, for the summary and the exit status; the message says what to do. */
export type SyncFailure =
  | 'auth' // the token was refused, or lacks the permission
  | 'throttled' // 429/503 past the retries
  | 'sas-expired' // a blob's SAS was refused even after the manifest was fetched again
  | 'blob' // a blob failed its length or gzip check, or holds a line that cannot be read
  | 'operation' // the export operation failed, or never finished within the polls allowed
  | 'network' // the endpoint could not be reached
  | 'protocol' // an answer that is not what the API documents
  | 'import' // the lines were refused by the importer (nothing was stored)
  | 'storage'; // the database could not be used (PostgreSQL gone, a full disk): nothing was stored

export class SyncError extends Error {
  constructor(
    readonly kind: SyncFailure,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'SyncError';
  }
}
