// Ganeti reads the OS text files with Python's open(): strict UTF-8, a BOM is kept as U+FEFF. An invalid byte
// raises UnicodeDecodeError, which Ganeti does not catch (DiagnoseOS fails as a whole). guestos reports it in
// the "Error while reading ..." verdict of that file instead, with the text Python's exception would print.

const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

const isCont = (b: number | undefined): boolean => b !== undefined && (b & 0xc0) === 0x80;

/** Where CPython's UTF-8 decoder stops: [start, end) of the bad bytes and its reason (stringlib utf8_decode). */
function firstError(buf: Uint8Array): { start: number; end: number; reason: string } {
  const n = buf.length;
  let s = 0;
  const bad = (len: number) => ({ start: s, end: s + len, reason: "invalid continuation byte" });
  while (s < n) {
    const ch = buf[s]!;
    if (ch < 0x80) {
      s++;
      continue;
    }
    const left = n - s;
    const c2 = buf[s + 1];
    const c3 = buf[s + 2];
    const c4 = buf[s + 3];
    const endOfData = { start: s, end: n, reason: "unexpected end of data" };
    if (ch < 0xc2 || ch >= 0xf5) return { start: s, end: s + 1, reason: "invalid start byte" };
    if (ch < 0xe0) {
      if (left < 2) return endOfData;
      if (!isCont(c2)) return bad(1);
      s += 2;
    } else if (ch < 0xf0) {
      const c2bad = !isCont(c2) || (ch === 0xe0 && c2! < 0xa0) || (ch === 0xed && c2! >= 0xa0);
      if (left < 2) return endOfData;
      if (c2bad) return bad(1);
      if (left < 3) return endOfData;
      if (!isCont(c3)) return bad(2);
      s += 3;
    } else {
      const c2bad = !isCont(c2) || (ch === 0xf0 && c2! < 0x90) || (ch === 0xf4 && c2! >= 0x90);
      if (left < 2) return endOfData;
      if (c2bad) return bad(1);
      if (left < 3) return endOfData;
      if (!isCont(c3)) return bad(2);
      if (left < 4) return endOfData;
      if (!isCont(c4)) return bad(3);
      s += 4;
    }
  }
  return { start: n, end: n, reason: "" };
}

/** Decode like Python's strict UTF-8 codec; on failure, the text of the UnicodeDecodeError it would raise. */
export function pyDecodeUtf8(buf: Uint8Array): { ok: true; text: string } | { ok: false; message: string } {
  try {
    return { ok: true, text: decoder.decode(buf) };
  } catch {
    const { start, end, reason } = firstError(buf);
    const where =
      end === start + 1
        ? `byte 0x${buf[start]!.toString(16).padStart(2, "0")} in position ${start}`
        : `bytes in position ${start}-${end - 1}`;
    return { ok: false, message: `'utf-8' codec can't decode ${where}: ${reason}` };
  }
}
