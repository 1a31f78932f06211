/*
 * Bounded consumers of what a script writes into the pipes guestos reads: captured output (verify) and the
 * byte count reported on EXP_SIZE_FD (import/export). Scripts are untrusted: a flood must not grow memory.
 */

/** Keeps the last `limit` bytes pushed into it; `text` renders them with a note about what was dropped. */
export interface TailBuffer {
  push(chunk: Buffer): void;
  text(stream: string): string;
}

/** A TailBuffer keeping the last `limit` bytes. */
export function tailBuffer(limit: number): TailBuffer {
  const chunks: Buffer[] = [];
  let size = 0;
  let dropped = 0;
  return {
    push(chunk) {
      chunks.push(chunk);
      size += chunk.length;
      while (chunks.length > 1 && size - chunks[0]!.length >= limit) {
        const first = chunks.shift()!;
        size -= first.length;
        dropped += first.length;
      }
    },
    text(stream) {
      let buf = Buffer.concat(chunks);
      let lost = dropped;
      if (buf.length > limit) {
        lost += buf.length - limit;
        buf = buf.subarray(buf.length - limit);
      }
      if (lost > 0) {
        // Do not start in the middle of a UTF-8 character.
        let skip = 0;
        while (skip < 3 && skip < buf.length && (buf[skip]! & 0xc0) === 0x80) skip++;
        lost += skip;
        buf = buf.subarray(skip);
      }
      const body = new TextDecoder("utf-8").decode(buf);
      if (lost === 0) return body;
      return `[guestos: output truncated, the first ${lost} bytes of ${stream} were dropped]\n${body}`;
    },
  };
}

/** Parses the byte counts a script writes to EXP_SIZE_FD. */
export interface SizeReader {
  push(chunk: Buffer): void;
  /** Call at end of input: the last unterminated line counts too (Ganeti's LineSplitter.close). */
  end(): void;
  value(): number | null;
}

// A longer line cannot be a byte count; it is garbage, and keeping it would be unbounded.
const MAX_LINE = 64;
const NUMBER = /^\+?[0-9](?:_?[0-9])*$/;

/**
 * A SizeReader for lines of "<bytes>\n". The last line that is a number wins; unlike Ganeti, which resets its
 * estimate to None on a line int() rejects, garbage lines are ignored.
 */
export function sizeReader(): SizeReader {
  let line = "";
  let overflow = false;
  let value: number | null = null;

  const endLine = (): void => {
    // Python's int() strips surrounding whitespace and accepts a "+" and "_" between digits.
    const text = line.trim();
    if (!overflow && NUMBER.test(text)) {
      const n = Number(text.replaceAll("_", "").replace("+", ""));
      if (Number.isSafeInteger(n)) value = n;
    }
    line = "";
    overflow = false;
  };
  const append = (text: string): void => {
    if (overflow) return;
    if (line.length + text.length > MAX_LINE) {
      overflow = true;
      line = "";
    } else {
      line += text;
    }
  };

  return {
    push(chunk) {
      const parts = chunk.toString("latin1").split("\n");
      parts.forEach((part, i) => {
        append(part);
        if (i < parts.length - 1) endLine();
      });
    },
    end() {
      if (line !== "" || overflow) endLine();
    },
    value: () => value,
  };
}
