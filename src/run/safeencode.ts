/*
 * Ganeti's utils.text.SafeEncode, used on every line of a script's log tail in failure messages. Users and
 * tools match on those messages, so the quirks are kept: "\r" becomes the three characters \'r (a raw-string
 * slip upstream), and non-ASCII characters become Python's backslashreplace escapes (\xe9, \u20ac, \U0001f600).
 */

function hex(n: number, width: number): string {
  return n.toString(16).padStart(width, "0");
}

/** Python's str.encode("ascii", "backslashreplace").decode("ascii"); lone surrogates become \udcxx. */
export function pyBackslashReplace(text: string): string {
  let out = "";
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    if (cp < 0x80) out += ch;
    else if (cp <= 0xff) out += `\\x${hex(cp, 2)}`;
    else if (cp <= 0xffff) out += `\\u${hex(cp, 4)}`;
    else out += `\\U${hex(cp, 8)}`;
  }
  return out;
}

/** Ganeti's SafeEncode: backslashreplace to ASCII, then tab, newline, CR and other control characters escaped. */
export function safeEncode(text: string): string {
  let out = "";
  for (const ch of pyBackslashReplace(text)) {
    const c = ch.charCodeAt(0);
    if (ch === "\t") out += "\\t";
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\'r";
    else if (c < 32 || c >= 127) out += `\\x${hex(c & 0xff, 2)}`;
    else out += ch;
  }
  return out;
}
