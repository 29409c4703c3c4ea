/**
 * A database that cannot be used, as one line for a person instead of a driver's stack trace:
 * SQLite's result codes, PostgreSQL's SQLSTATEs and the system's errno codes, by what they mean
 * to whoever runs the command. Undefined for any other error.
 */
export function describeStorageFailure(error: unknown): string | undefined {
  // node-postgres's own words first: the error that carries them may sit inside one with a code.
  if (connectionLost(error)) return 'the connection to PostgreSQL was lost';
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
  // Shut down, crashed or starting (57P0x), a connection exception (08xxx), a socket reset.
  if (/^57P0[123]$/.test(code) || code.startsWith('08') || code === 'ECONNRESET' || code === 'EPIPE') {
    return 'the connection to PostgreSQL was lost';
  }
  if (code === '28P01' || code === '28000') return 'PostgreSQL refused the user name or password';
  if (code === '3D000') return 'the PostgreSQL database does not exist';
  return undefined;
}

/** node-postgres's own errors for a connection that ended or never came, which carry no code. */
const CONNECTION_LOST =
  /^(Connection terminated|Client has encountered a connection error|timeout exceeded when trying to connect|Client was closed)/;

function connectionLost(error: unknown): boolean {
  for (let e = error; e instanceof Error; e = e.cause) if (CONNECTION_LOST.test(e.message)) return true;
  return false;
}

function codeOf(error: unknown): string | undefined {
  for (let e = error; e !== null && typeof e === 'object'; e = (e as { cause?: unknown }).cause) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
  }
  return undefined;
}
