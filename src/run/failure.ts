import os from "node:os";
import { pyStrRepr } from "../env/pyrepr.js";

/*
 * The texts Ganeti's node produces around a script run: RunResult.fail_reason, the OSError strings of a
 * failed exec, and the "OS create script failed" message built from the log tail.
 */

/** Python's "%.2f": like toFixed(2), except that exact ties round to even (Python) rather than up (JS). */
export function pyFixed2(x: number): string {
  // x*100 can only be a true tie when x is an odd multiple of 1/8 (then 100x = 25j/2 with 25j odd).
  const j = x * 8;
  if (Number.isSafeInteger(j) && j % 2 !== 0 && Math.abs(j) < 2 ** 40) {
    const twice = 25 * j; // 200x, odd
    let n = (twice - 1) / 2;
    if (n % 2 !== 0) n += 1;
    const a = Math.abs(n);
    return `${n < 0 ? "-" : ""}${Math.trunc(a / 100)}.${String(a % 100).padStart(2, "0")}`;
  }
  return x.toFixed(2);
}

/** What ended a run early, if anything, and how hard it had to be stopped. */
export interface Termination {
  cause: "timeout" | "abort";
  seconds: number; // the timeout, for the message
  killed: boolean; // SIGKILL was needed after the linger
  lingerSeconds: number;
}

/** RunResult.fail_reason: "exited with exit code N" / "terminated by signal N", plus the timeout clause. */
export function failReason(exitCode: number | null, signal: number | null, term: Termination | null): string {
  const parts = [signal !== null ? `terminated by signal ${signal}` : `exited with exit code ${exitCode}`];
  if (term?.cause === "timeout") {
    parts.push(
      term.killed
        ? `force termination after timeout of ${pyFixed2(term.seconds)} seconds and linger for another ` +
            `${pyFixed2(term.lingerSeconds)} seconds`
        : `terminated after timeout of ${pyFixed2(term.seconds)} seconds`,
    );
  } else if (term?.cause === "abort") {
    // Ganeti has no abort; the wording follows its timeout clauses.
    parts.push(
      term.killed
        ? `force termination after abort and linger for another ${pyFixed2(term.lingerSeconds)} seconds`
        : "terminated after abort",
    );
  }
  return parts.join(", ");
}

/**
 * Ganeti's node message for a failed create or rename script, with the escaped log tail. Ganeti reports
 * import/export failures through its transfer daemon instead; for those guestos uses the same shape.
 */
export function scriptFailureMessage(
  kind: "create" | "rename" | "import" | "export",
  reason: string,
  tail: string[],
): string {
  return `OS ${kind} script failed (${reason}), last lines in the log file:\n${tail.join("\n")}`;
}

const SHELL_UNQUOTED = /^[-.,=:/_+@A-Za-z0-9]+$/;

/** Ganeti's utils.ShellQuoteArgs, used for the command in "Can't execute" messages. */
export function shellQuoteArgs(argv: readonly string[]): string {
  return argv.map((a) => (SHELL_UNQUOTED.test(a) ? a : `'${a.replaceAll("'", "'\\''")}'`)).join(" ");
}

// glibc's strerror() for what execve and chdir can return.
const STRERROR: Record<string, string> = {
  EPERM: "Operation not permitted",
  ENOENT: "No such file or directory",
  EIO: "Input/output error",
  E2BIG: "Argument list too long",
  ENOEXEC: "Exec format error",
  EAGAIN: "Resource temporarily unavailable",
  ENOMEM: "Cannot allocate memory",
  EACCES: "Permission denied",
  EFAULT: "Bad address",
  ENOTDIR: "Not a directory",
  EISDIR: "Is a directory",
  EINVAL: "Invalid argument",
  ENFILE: "Too many open files in system",
  EMFILE: "Too many open files",
  ETXTBSY: "Text file busy",
  ENAMETOOLONG: "File name too long",
  ELOOP: "Too many levels of symbolic links",
  ELIBBAD: "Accessing a corrupted shared library",
};

/** Python's str(OSError(errno, strerror, filename)): "[Errno 13] Permission denied: '/x'". */
export function pyOsErrorText(code: string, filename: string): string {
  const errno = (os.constants.errno as Record<string, number | undefined>)[code];
  const text = STRERROR[code] ?? code;
  return errno === undefined
    ? `${text}: ${pyStrRepr(filename)}`
    : `[Errno ${errno}] ${text}: ${pyStrRepr(filename)}`;
}

/**
 * What Ganeti's RunCmd raises when the command cannot be started: ENOENT becomes OpExecError
 * "Can't execute '<cmd>': not found (<OSError>)"; any other errno is the bare OSError text.
 */
export function execFailureMessage(argv: readonly string[], code: string, filename: string): string {
  const oserr = pyOsErrorText(code, filename);
  return code === "ENOENT" ? `Can't execute '${shellQuoteArgs(argv)}': not found (${oserr})` : oserr;
}

/**
 * Ganeti's message for a failed `verify`. RunCmd reads the output in text mode, so line endings arrive as
 * Python's universal newlines: "\r\n" and "\r" become "\n".
 */
export function verifyFailureMessage(reason: string, output: string): string {
  return `OS validation script failed (${reason}), output: ${output.replace(/\r\n?/g, "\n")}`;
}
