import fs from "node:fs";

import { GuestosError, errnoName } from "../errors.js";
import { safeEncode } from "./safeencode.js";

/*
 * Ganeti's utils.TailFile followed by SafeEncode on each line, as InstanceOsAdd and RunRenameInstance build
 * their failure messages. TailFile opens the log in text mode, so Python decodes UTF-8 and translates "\r\n"
 * and "\r" to "\n" (universal newlines) before str.splitlines(), which also splits on \v, \f, \x1c-\x1e,
 * \x85, U+2028 and U+2029. Where the bytes are not valid UTF-8 (binary garbage, or a character cut by the
 * 4096-byte window), Python raises UnicodeDecodeError and the node's RPC fails with a traceback message;
 * guestos instead shows each such byte as \xNN, the way SafeEncode shows control characters.
 */

const WINDOW = 4096;
// Lone low surrogates never come out of valid UTF-8, so they can stand for undecodable bytes (as Python's
// surrogateescape does) until the lines are escaped.
const ESCAPE_BASE = 0xdc00;

function isCont(b: number | undefined, lo = 0x80, hi = 0xbf): boolean {
  return b !== undefined && b >= lo && b <= hi;
}

/** Strict UTF-8 decoding where every byte that is not part of a valid sequence becomes U+DC00+byte. */
export function decodeSurrogateEscape(buf: Uint8Array): string {
  const cps: number[] = [];
  let i = 0;
  while (i < buf.length) {
    const b = buf[i]!;
    const b1 = buf[i + 1];
    const b2 = buf[i + 2];
    const b3 = buf[i + 3];
    if (b < 0x80) {
      cps.push(b);
      i += 1;
    } else if (b >= 0xc2 && b <= 0xdf && isCont(b1)) {
      cps.push(((b & 0x1f) << 6) | (b1! & 0x3f));
      i += 2;
    } else if (
      b >= 0xe0 &&
      b <= 0xef &&
      isCont(b1, b === 0xe0 ? 0xa0 : 0x80, b === 0xed ? 0x9f : 0xbf) &&
      isCont(b2)
    ) {
      cps.push(((b & 0x0f) << 12) | ((b1! & 0x3f) << 6) | (b2! & 0x3f));
      i += 3;
    } else if (
      b >= 0xf0 &&
      b <= 0xf4 &&
      isCont(b1, b === 0xf0 ? 0x90 : 0x80, b === 0xf4 ? 0x8f : 0xbf) &&
      isCont(b2) &&
      isCont(b3)
    ) {
      cps.push(((b & 0x07) << 18) | ((b1! & 0x3f) << 12) | ((b2! & 0x3f) << 6) | (b3! & 0x3f));
      i += 4;
    } else {
      cps.push(ESCAPE_BASE + b);
      i += 1;
    }
  }
  let out = "";
  for (let k = 0; k < cps.length; k += 4096) out += String.fromCodePoint(...cps.slice(k, k + 4096));
  return out;
}

// The separators are control characters on purpose: they are what Python's str.splitlines() splits on.
// eslint-disable-next-line no-control-regex
const LINE_BREAK = /\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]/g;

/** Python's str.splitlines(): no empty last element for a trailing line break. */
export function pySplitlines(text: string): string[] {
  const lines = text.split(LINE_BREAK);
  if (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  return lines;
}

/** SafeEncode of one decoded line, with surrogate-escaped bytes shown as \xNN. */
export function escapeLine(line: string): string {
  let out = "";
  let run = "";
  for (const ch of line) {
    const cp = ch.codePointAt(0)!;
    if (cp >= ESCAPE_BASE + 0x80 && cp <= ESCAPE_BASE + 0xff) {
      out += safeEncode(run) + `\\x${(cp - ESCAPE_BASE).toString(16).padStart(2, "0")}`;
      run = "";
    } else {
      run += ch;
    }
  }
  return out + safeEncode(run);
}

/** The lines TailFile would return for these bytes (the last 4096 of the file), each SafeEncoded. */
export function tailLines(window: Uint8Array, lines = 20): string[] {
  const text = decodeSurrogateEscape(window).replace(/\r\n?/g, "\n");
  // slice(-lines) is Python's rows[-lines:], including its quirk that 0 keeps every line.
  return pySplitlines(text)
    .slice(-lines)
    .map((line) => escapeLine(line));
}

/** Ganeti's TailFile + SafeEncode: the last `lines` lines found in the last 4096 bytes of the log. */
export async function tailLog(logPath: string, lines = 20): Promise<string[]> {
  let fh: fs.promises.FileHandle | undefined;
  try {
    fh = await fs.promises.open(logPath, "r");
    const { size } = await fh.stat();
    const start = Math.max(0, size - WINDOW);
    const buf = Buffer.alloc(Math.min(WINDOW, size));
    const { bytesRead } = await fh.read(buf, 0, buf.length, start);
    return tailLines(buf.subarray(0, bytesRead), lines);
  } catch (err) {
    throw new GuestosError("LOG_READ", `Cannot read log file "${logPath}": ${errnoName(err)}`, {
      cause: err,
    });
  } finally {
    await fh?.close();
  }
}
