import fs from "node:fs";

/*
 * libuv starts children with execvp(), and glibc's execvp() runs a file that the kernel refuses with ENOEXEC
 * (a script without a shebang, a "#!" with no interpreter) through /bin/sh instead of failing. Ganeti's
 * subprocess calls execve() and gets "[Errno 8] Exec format error". So before spawning, the file is checked
 * the way the kernel's binfmt_elf and binfmt_script would: ELF magic or "#!interpreter", the interpreter
 * itself checked the same way (nested scripts, up to the kernel's depth). Anything this check cannot read or
 * is unsure about is left to execve, which then reports its own errno. Not covered: a registered binfmt_misc
 * format (the check stands aside when any is registered) and an ELF file the kernel rejects (wrong
 * architecture), which glibc would still hand to /bin/sh.
 */

const HEADER = 256; // the kernel's BINPRM_BUF_SIZE
const MAX_DEPTH = 4;

let binfmtMisc: boolean | undefined;

function hasBinfmtMisc(): boolean {
  if (binfmtMisc === undefined) {
    try {
      binfmtMisc = fs
        .readdirSync("/proc/sys/fs/binfmt_misc")
        .some((name) => name !== "register" && name !== "status");
    } catch {
      binfmtMisc = false;
    }
  }
  return binfmtMisc;
}

function readHeader(file: string): Buffer | null {
  let fd: number | undefined;
  try {
    const st = fs.statSync(file);
    if (!st.isFile()) return null; // execve says EACCES itself
    fs.accessSync(file, fs.constants.X_OK);
    fd = fs.openSync(file, "r");
    const buf = Buffer.alloc(HEADER);
    return buf.subarray(0, fs.readSync(fd, buf, 0, HEADER, 0));
  } catch {
    return null;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** The interpreter a "#!" header names, "" when it names none, null when the header is not a script. */
function interpreterOf(header: Buffer): string | null {
  if (header[0] !== 0x23 || header[1] !== 0x21) return null;
  const text = header.subarray(2).toString("latin1");
  const line = text.split("\n", 1)[0]!.replace(/^[ \t]+/, "");
  return line.split(/[ \t\0]/, 1)[0]!;
}

/** True when execve() of `file` would certainly fail with ENOEXEC (so glibc would fall back to /bin/sh). */
export function wouldFailENOEXEC(file: string, depth = 0): boolean {
  if (depth > MAX_DEPTH || hasBinfmtMisc()) return false;
  const header = readHeader(file);
  if (header === null) return false;
  if (header.subarray(0, 4).equals(Buffer.from([0x7f, 0x45, 0x4c, 0x46]))) return false;
  const interp = interpreterOf(header);
  if (interp === null) return true;
  if (interp === "") return true;
  return wouldFailENOEXEC(interp, depth + 1);
}
