/**
 * The one error type guestos throws. `code` is stable (tools and tests match on it), `message` is for
 * people; messages copied from Ganeti keep Ganeti's text exactly.
 */
export class GuestosError extends Error {
  readonly code: string;
  readonly hint: string | undefined;

  constructor(code: string, message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "GuestosError";
    this.code = code;
    this.hint = options.hint;
  }
}

/** True when `err` is a GuestosError, optionally with the given code. */
export function isGuestosError(err: unknown, code?: string): err is GuestosError {
  return err instanceof GuestosError && (code === undefined || err.code === code);
}

/** The errno code name of a Node system error (`ENOENT`), as Ganeti's ErrnoOrStr prints it. */
export function errnoName(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : String(err);
}
