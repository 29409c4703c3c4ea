/**
 * A database that cannot be used, as one line for a person instead of a driver's stack trace:
 * SQLite's result codes, PostgreSQL's SQLSTATEs and the system's errno codes, by what they mean
 * to whoever runs the command. Undefined for any other error.
 */
export function describeStorageFailure(error: unknown): string | undefined {
  const code = codeOf(error);
  if (code === undefined) return undefined;
  if (code === 'SQLITE_FULL' || code === 'ENOSPC' || code === '53100' || code === 'EDQUOT') {
    return 'the disk is full';
  }
  if (code.startsWith('SQLITE_READONLY') || code === 'EROFS' || code === '25006') {
    return 'the database is read-only (its file, its folder or the file system does not allow writing)';
  }
  if (code === 'SQLITE_CANTOPEN' || code === 'EACCES' || code === 'EPERM' || code === 'ENOTDIR') {
    return 'the database file cannot be opened: check that its folder exists and that this user may read and write it';
  }
  if (code.startsWith('SQLITE_IOERR') || code === 'EIO') return 'a read or write of the database failed (an I/O error)';
  if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') return 'the database is locked by another process';
  if (code === 'SQLITE_CORRUPT' || code === 'SQLITE_NOTADB')
    return 'the file is not a partner-usage database, or is damaged';
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EHOSTUNREACH' || code === 'ETIMEDOUT') {
    return 'the PostgreSQL server cannot be reached';
  }
  if (code === '28P01' || code === '28000') return 'PostgreSQL refused the user name or password';
  if (code === '3D000') return 'the PostgreSQL database does not exist';
  return undefined;
}

function codeOf(error: unknown): string | undefined {
  for (let e = error; e !== null && typeof e === 'object'; e = (e as { cause?: unknown }).cause) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
  }
  return undefined;
}
