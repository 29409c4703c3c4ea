/**
 * How the CLI ends (README, "Exit codes"): 0 done; 1 the work was refused (a bad file: nothing
 * imported); 2 a usage mistake; 3 the database cannot be used (cannot be opened, read-only, disk
 * full); 4 the server cannot listen (the port is in use, or not allowed).
 */
export const EXIT = { refused: 1, usage: 2, database: 3, listen: 4 } as const;

/** An error the CLI reports as one line on stderr, without a stack trace. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.refused,
  ) {
    super(message);
    this.name = 'CliError';
  }
}
