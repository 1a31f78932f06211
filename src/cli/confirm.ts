import { openSync, closeSync, readSync, writeSync } from "node:fs";
import { GuestosError } from "../errors.js";

/** Ganeti's AskUser wraps its question at 70 columns. */
function wrap(text: string, width = 70): string[] {
  const out: string[] = [];
  for (const para of text.split("\n")) {
    let line = "";
    for (const word of para.split(" ")) {
      if (line && line.length + 1 + word.length > width) {
        out.push(line);
        line = word;
      } else line = line ? `${line} ${word}` : word;
    }
    out.push(line);
  }
  return out;
}

function readLine(fd: number): string {
  const buf = Buffer.alloc(1);
  let line = "";
  while (readSync(fd, buf, 0, 1, null) === 1 && buf[0] !== 10) line += buf.toString("latin1");
  return line;
}

/**
 * Ganeti's AskUser on the controlling terminal: `y/[n]/?`, a single character, asked again otherwise.
 * Without a terminal Ganeti silently answers no; guestos says why and how to skip the question.
 */
export function confirm(question: string, what: string): boolean {
  let fd: number;
  try {
    fd = openSync("/dev/tty", "r+");
  } catch {
    throw new GuestosError(
      "NEEDS_CONFIRMATION",
      `Cannot ${what} without confirmation: there is no terminal to ask on`,
      {
        hint: "pass -f (--force) to skip the question",
      },
    );
  }
  try {
    const text = `${wrap(question).join("\n")} y/[n]/?: `;
    for (;;) {
      writeSync(fd, text);
      const answer = readLine(fd).trim().toLowerCase();
      if (answer === "" || answer === "n") return false;
      if (answer === "y") return true;
      if (answer === "?") writeSync(fd, " y - Perform the operation\n n - Do not perform the operation\n");
    }
  } finally {
    closeSync(fd);
  }
}
