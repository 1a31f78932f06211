import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { iniReader, parseIni, writeIni, type IniDocument } from "../../src/backup/index.js";
import { isGuestosError } from "../../src/errors.js";
import { askPython, requirePython } from "./pyoracle.js";

/*
 * The config.ini codec against Python 3.11's configparser (Debian's /usr/bin/python3, the one Ganeti runs
 * on): generated texts parsed by both (sections, options, interpolated get() and items(), or the error
 * message), generated documents written by both. One Python process per property.
 */

type Entries = [string, string][];
type Got = string | { error: string };
type ParseAnswer =
  | {
      ok: true;
      defaults: Entries;
      sections: [string, Entries][];
      get: [string, [string, Got][]][];
      items: [string, Entries | { error: string }][];
    }
  | { ok: false; exception: string; message: string };

/** Characters configparser treats specially, Python-only whitespace, and text JavaScript handles differently. */
const tricky = fc.constantFrom(
  ..."aAbZz09_- =:[]#;%()s\t\r\0\x0b\x0c\x1c\x1f\x85\u00a0\u2028\u3000\ufeffé\u03a3\u0130\ua7cbß".split(""),
  "\u{1f600}",
  "%(",
  ")s",
  "%%",
  "DEFAULT",
);
const chunk = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: tricky, maxLength: 12 }) },
  { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 8 }) },
);
const indent = fc.constantFrom("", "", "", " ", "  ", "\t", "\u3000", "\x85");
const line = fc.oneof(
  {
    weight: 3,
    arbitrary: fc
      .tuple(indent, chunk, fc.constantFrom("=", ":", " = ", " : ", "\t=\t"), chunk)
      .map((p) => p.join("")),
  },
  { weight: 2, arbitrary: fc.tuple(indent, chunk).map(([i, c]) => `${i}[${c}]`) },
  { weight: 1, arbitrary: fc.constantFrom("[DEFAULT]", "[s]", "[export]", "[instance]") },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom(" ", "  ", "\t", "    "), chunk).map((p) => p.join("")) },
  { weight: 1, arbitrary: fc.tuple(indent, fc.constantFrom("#", ";"), chunk).map((p) => p.join("")) },
  { weight: 1, arbitrary: fc.constantFrom("", " ", "\t", "\r") },
  { weight: 1, arbitrary: chunk },
  {
    weight: 1,
    arbitrary: fc.tuple(fc.constantFrom("k = ", "[", "  "), fc.nat(3000)).map(([p, n]) => p + "x%".repeat(n)),
  },
);
const text = fc
  .tuple(
    fc.oneof(fc.constant("[s]"), fc.constant("[DEFAULT]"), line),
    fc.array(line, { maxLength: 14 }),
    fc.constantFrom("\n", "\n", "", "\r\n"),
  )
  .map(([first, rest, end]) => [first, ...rest].join("\n") + end);

function ours(t: string): ParseAnswer {
  let doc: IniDocument;
  try {
    doc = parseIni(t, { source: "<gen>" });
  } catch (err) {
    if (!isGuestosError(err, "CONFIG_INI")) throw err;
    return { ok: false, exception: "?", message: err.message };
  }
  const r = iniReader(doc);
  const attempt = <T>(fn: () => T): T | { error: string } => {
    try {
      return fn();
    } catch (err) {
      if (!isGuestosError(err, "CONFIG_INI")) throw err;
      return { error: err.message };
    }
  };
  const names = [...doc.sections.keys()];
  return {
    ok: true,
    defaults: [...doc.defaults],
    sections: [...doc.sections].map(([n, m]) => [n, [...m]]),
    get: names.map((n) => {
      const keys = new Set([...doc.defaults.keys(), ...doc.sections.get(n)!.keys()]);
      return [n, [...keys].map((k): [string, Got] => [k, attempt(() => r.get(n, k))])];
    }),
    items: names.map((n) => [n, attempt(() => r.items(n))]),
  };
}

describe("config.ini codec vs Python 3.11 configparser", () => {
  test("parsing generated texts: same document, same get()/items(), or the same error", async (t) => {
    if (!requirePython(t)) return;
    const texts = [
      ...fc.sample(text, { numRuns: 400 }),
      ...fc.sample(fc.string({ unit: "binary", maxLength: 60 }), 50),
    ];
    const theirs = await askPython<ParseAnswer>(
      "configparser_oracle.py",
      texts.map((x) => ({ kind: "parse", text: x, source: "<gen>" })),
    );
    let checked = 0;
    texts.forEach((x, i) => {
      const want = theirs[i]!;
      const got = ours(x);
      if (!want.ok && !got.ok) assert.equal(got.message, want.message, JSON.stringify(x));
      else assert.deepEqual(got, want, JSON.stringify(x));
      if (want.ok) checked++;
    });
    // The generator must reach past the parser often enough to test lookups.
    assert.ok(checked > texts.length / 4, `only ${checked} of ${texts.length} texts parsed`);
  });

  test("writing generated documents: byte for byte what ConfigParser.write() writes", async (t) => {
    if (!requirePython(t)) return;
    const entries = fc.uniqueArray(
      fc.tuple(
        chunk,
        fc.oneof(
          chunk,
          fc.array(chunk, { maxLength: 3 }).map((a) => a.join("\n")),
        ),
      ),
      {
        selector: ([k]) => k,
        maxLength: 6,
      },
    );
    const docs = fc.sample(
      fc.record({
        defaults: entries,
        sections: fc.uniqueArray(
          fc.tuple(
            chunk.filter((n) => n !== "DEFAULT"),
            entries,
          ),
          { selector: ([n]) => n, maxLength: 5 },
        ),
      }),
      { numRuns: 300 },
    );
    const theirs = await askPython<{ text: string }>(
      "configparser_oracle.py",
      docs.map((d) => ({ kind: "write", ...d })),
    );
    docs.forEach((d, i) => {
      const doc: IniDocument = {
        defaults: new Map(d.defaults),
        sections: new Map(d.sections.map(([n, e]) => [n, new Map(e)])),
      };
      assert.equal(writeIni(doc), theirs[i]!.text, JSON.stringify(d));
    });
  });
});

test("what parses, written and parsed again, is the same (Ganeti's node re-serialises config.ini)", () => {
  for (const x of fc.sample(text, { numRuns: 600 })) {
    let doc: IniDocument;
    try {
      doc = parseIni(x, { source: "<gen>" });
    } catch {
      continue;
    }
    assert.deepEqual(parseIni(writeIni(doc), { source: "<again>" }), doc, JSON.stringify(x));
  }
});
