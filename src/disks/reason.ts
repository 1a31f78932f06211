import { getSystemErrorMap } from "node:util";

/**
 * The reason part of a disk message for a failed system call or tool: `no space left on device (ENOSPC)`
 * for a Node system error, the trimmed stderr of a failed child process, else the error's message.
 */
export function reasonOf(err: unknown): string {
  const e = (err ?? {}) as { errno?: unknown; code?: unknown; stderr?: unknown; message?: unknown };
  if (typeof e.stderr === "string" && e.stderr.trim()) return e.stderr.trim();
  if (typeof e.errno === "number" && typeof e.code === "string") {
    const text = getSystemErrorMap().get(e.errno)?.[1];
    if (text) return `${text} (${e.code})`;
  }
  return typeof e.message === "string" ? e.message.trim() : String(err);
}

/** The errno code of a Node system error (`ENOENT`), or undefined. */
export function codeOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}
