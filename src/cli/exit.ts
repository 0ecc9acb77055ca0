// Exit statuses, the same for every command (documented in README and --help).

export const ExitCode = {
  /** Success. */
  OK: 0,
  /** `synack check`: a rule failed. */
  CHECK_FAILED: 1,
  /** Bad command line. */
  USAGE: 2,
  /** Input error: missing file, unknown format, damaged or truncated capture (what was read is still reported). */
  INPUT: 3,
} as const;

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** A usage problem found after commander parsed the line (bad value for an option...). */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
