import { GuestosError } from "../errors.js";

/** What a command hands back to main: lines for stdout (or a JSON value) and the exit code. */
export interface CommandResult {
  lines?: string[];
  json?: unknown;
  exitCode?: number;
}

/** Write a command's result to stdout; returns the exit code. */
export function emit(result: CommandResult): number {
  if (result.json !== undefined) process.stdout.write(JSON.stringify(result.json, null, 2) + "\n");
  if (result.lines && result.lines.length > 0) process.stdout.write(result.lines.join("\n") + "\n");
  return result.exitCode ?? 0;
}

/**
 * Render an error for people (stderr) or for tools (`--json`: a JSON object on stdout, or on stderr with
 * `jsonToStderr` when stdout carries data, as for export); returns exit code 1.
 */
export function emitError(err: unknown, opts: { json?: boolean; jsonToStderr?: boolean } = {}): number {
  const ge =
    err instanceof GuestosError
      ? err
      : new GuestosError("INTERNAL", err instanceof Error ? (err.stack ?? err.message) : String(err));
  if (opts.json) {
    const body: Record<string, string> = { code: ge.code, message: ge.message };
    if (ge.hint) body.hint = ge.hint;
    (opts.jsonToStderr ? process.stderr : process.stdout).write(
      JSON.stringify({ error: body }, null, 2) + "\n",
    );
  } else {
    process.stderr.write(`Error: ${ge.message}\n`);
    if (ge.hint) process.stderr.write(`Hint: ${ge.hint}\n`);
  }
  return 1;
}

/** A listing's lines; with unknown fields, gnt-*'s warning on stderr and exit code 14. */
export function unknownFieldsResult(out: { lines: string[]; unknownFields: string[] }): CommandResult {
  if (out.unknownFields.length === 0) return { lines: out.lines };
  process.stderr.write(`Warning: Queried for unknown fields ${out.unknownFields.join(", ")}\n`);
  return { lines: out.lines, exitCode: 14 };
}
