import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { isGuestosError } from "../errors.js";
import { escapeIniValue, iniReader } from "./configget.js";
import { emptyIni, parseIni, writeIni, type IniDocument } from "./configini.js";
import { pyLower } from "./pylower.js";

// Expected values and messages below are what /usr/bin/python3 3.11's configparser gives
// (test/interop/configini.test.ts checks the same code against it on generated input).

const parse = (text: string): IniDocument => parseIni(text, { source: "<t>" });
const plain = (doc: IniDocument): unknown => ({
  defaults: Object.fromEntries(doc.defaults),
  sections: Object.fromEntries([...doc.sections].map(([k, v]) => [k, Object.fromEntries(v)])),
});
const parseError = (text: string, message: string): void => {
  assert.throws(
    () => parse(text),
    (err: unknown) => isGuestosError(err, "CONFIG_INI") && err.message === message,
  );
};

describe("parseIni", () => {
  test("sections and options in order, names lower-cased, = and : delimiters, values stripped", () => {
    const doc = parse("[Export]\nVersion = 0\nos:noop+default  \n  \n[instance]\nname=web1 \n");
    assert.deepEqual([...doc.sections.keys()], ["Export", "instance"]);
    assert.deepEqual(
      [...doc.sections.get("Export")!],
      [
        ["version", "0"],
        ["os", "noop+default"],
      ],
    );
    assert.equal(doc.sections.get("instance")!.get("name"), "web1");
  });

  test("the first delimiter splits, = or :", () => {
    const doc = parse("[s]\na: b = c\nd = e:f\n");
    assert.deepEqual(plain(doc), { defaults: {}, sections: { s: { a: "b = c", d: "e:f" } } });
  });

  test("full-line comments (also indented), no inline comments", () => {
    const doc = parse("# top\n[s]\n; c\n   # c2\nk = v # not a comment\n");
    assert.deepEqual(plain(doc), { defaults: {}, sections: { s: { k: "v # not a comment" } } });
  });

  test("continuation lines: deeper indent, comments skipped, blank lines kept inside, trailing ones dropped", () => {
    assert.deepEqual(plain(parse("[s]\na = 1\n  # not part\n  b\n")), {
      defaults: {},
      sections: { s: { a: "1\nb" } },
    });
    assert.deepEqual(plain(parse("[s]\na = 1\n\n\n  b\n\n")), {
      defaults: {},
      sections: { s: { a: "1\n\n\nb" } },
    });
    assert.deepEqual(plain(parse("[s]\n  a = 1\n b = 2\nc = 3\n")), {
      defaults: {},
      sections: { s: { a: "1", b: "2", c: "3" } },
    });
  });

  test("Python's whitespace, not JavaScript's: \\x85 is stripped, \\ufeff is not", () => {
    assert.deepEqual(plain(parse("[s]\nk = v\n\t\u00e9\u0085 \n")), {
      defaults: {},
      sections: { s: { k: "v\n\u00e9" } },
    });
    assert.deepEqual(plain(parse("[s]\nk\u0085:v\n")), { defaults: {}, sections: { s: { k: "v" } } });
    parseError("\ufeff[s]\n", "File contains no section headers.\nfile: '<t>', line: 1\n'\\ufeff[s]\\n'");
  });

  test("only \\n ends a line (\\r stays in the line, then is stripped as blank)", () => {
    assert.deepEqual(plain(parse("[s]\r\na = x\r\n b\r\n")), {
      defaults: {},
      sections: { s: { a: "x\nb" } },
    });
  });

  test("a header runs from [ to the last ], anything after it is ignored", () => {
    const doc = parse("[a]b] junk\nk = v\n");
    assert.deepEqual([...doc.sections.keys()], ["a]b"]);
  });

  test("DEFAULT: not a section, its options shared; may appear twice", () => {
    const doc = parse("[DEFAULT]\nd = 1\n[s]\nk = 2\n[DEFAULT]\ne = 3\n");
    assert.deepEqual(plain(doc), { defaults: { d: "1", e: "3" }, sections: { s: { k: "2" } } });
  });

  test("errors carry Python's messages", () => {
    parseError("key = 1\n", "File contains no section headers.\nfile: '<t>', line: 1\n'key = 1\\n'");
    parseError("\n# c\n  x=1", "File contains no section headers.\nfile: '<t>', line: 3\n'  x=1'");
    parseError("[a]\nk=1\n[b]\n[a]\n", "While reading from '<t>' [line  4]: section 'a' already exists");
    parseError(
      "[a]\nKey=1\nkey: 2\n",
      "While reading from '<t>' [line  3]: option 'key' in section 'a' already exists",
    );
    parseError(
      "[a]\nfoo\n= x\nbar baz\n",
      "Source contains parsing errors: '<t>'\n\t[line  2]: 'foo\\n'\n\t[line  3]: '= x\\n'\n\t[line  4]: 'bar baz\\n'",
    );
    parseError(
      "[a]\n=1\n=2\n",
      "While reading from '<t>' [line  3]: option '' in section 'a' already exists",
    );
    parseError("[a] trailing\nk = v\n[]\n", "Source contains parsing errors: '<t>'\n\t[line  3]: '[]\\n'");
    parseError(
      "[DEFAULT]\nd = 1\n[DEFAULT]\nd = 2\n",
      "While reading from '<t>' [line  4]: option 'd' in section 'DEFAULT' already exists",
    );
  });

  test("the source is quoted as Python's repr", () => {
    assert.throws(() => parseIni("x", { source: "/srv/it's/config.ini" }), {
      message: `File contains no section headers.\nfile: "/srv/it's/config.ini", line: 1\n'x'`,
    });
  });

  test("an empty text is an empty document", () => {
    assert.deepEqual(parse(""), emptyIni());
  });
});

describe("writeIni", () => {
  test("ConfigParser.write's layout: DEFAULT first, `key = value`, tab-continued lines, a blank line after each", () => {
    const doc: IniDocument = {
      defaults: new Map([["d", "1"]]),
      sections: new Map([
        [
          "export",
          new Map([
            ["version", "0"],
            ["empty", ""],
          ]),
        ],
        ["s", new Map([["multi", "a\nb\n"]])],
        ["none", new Map<string, string>()],
      ]),
    };
    assert.equal(
      writeIni(doc),
      "[DEFAULT]\nd = 1\n\n[export]\nversion = 0\nempty = \n\n[s]\nmulti = a\n\tb\n\t\n\n[none]\n\n",
    );
  });

  test("no DEFAULT header without DEFAULT options", () => {
    assert.equal(writeIni(emptyIni()), "");
  });

  test("what parseIni reads, writeIni writes back so that it reads the same", () => {
    const doc = parse("[DEFAULT]\nx = 1\n[s]\nA = 1\n  two\n\n  three\nb: %(x)s\n");
    assert.deepEqual(plain(parse(writeIni(doc))), plain(doc));
  });
});

describe("iniReader", () => {
  const doc = parse(
    "[DEFAULT]\nhome = /h\nloop = %(loop)s\n[s]\nA = %(HOME)s/x\nb = 100%%\nc = %(nope)s\nd = %x\ne = %(home\nf = %(loop)s\n",
  );
  const r = iniReader(doc);
  const fails = (fn: () => unknown, message: string): void => {
    assert.throws(fn, (err: unknown) => isGuestosError(err, "CONFIG_INI") && err.message === message);
  };

  test("get() interpolates %(name)s (section, then DEFAULT, names lower-cased) and %%", () => {
    assert.equal(r.get("s", "a"), "/h/x");
    assert.equal(r.get("s", "B"), "100%");
    assert.equal(r.get("s", "b", { raw: true }), "100%%");
    assert.equal(r.get("s", "home"), "/h");
  });

  test("interpolation errors with Python's messages", () => {
    fails(
      () => r.get("s", "c"),
      "Bad value substitution: option 'c' in section 's' contains an interpolation key 'nope' which is not a valid option name. Raw value: '%(nope)s'",
    );
    fails(() => r.get("s", "d"), "'%' must be followed by '%' or '(', found: '%x'");
    fails(() => r.get("s", "e"), "bad interpolation variable reference '%(home'");
    fails(
      () => r.get("s", "f"),
      "Recursion limit exceeded in value substitution: option 'f' in section 's' contains an interpolation key which cannot be substituted in 10 steps. Raw value: '%(loop)s'",
    );
  });

  test("missing sections and options", () => {
    fails(() => r.get("nosuch", "a"), "No section: 'nosuch'");
    fails(() => r.get("s", "Zz"), "No option 'zz' in section: 's'");
    assert.equal(r.hasSection("s"), true);
    assert.equal(r.hasSection("DEFAULT"), false);
    assert.equal(r.hasOption("s", "HOME"), true);
    assert.equal(r.hasOption("nosuch", "home"), false);
    assert.equal(r.hasOption("DEFAULT", "home"), true);
  });

  test("items(): DEFAULT's options first, then the section's, interpolated", () => {
    const r2 = iniReader(parse("[DEFAULT]\nz = 1\nb = 0\n[s]\nb = %(z)s%%\na = 2\n"));
    assert.deepEqual(r2.items("s"), [
      ["z", "1"],
      ["b", "1%"],
      ["a", "2"],
    ]);
    // DEFAULT's self-referencing "loop" comes first.
    fails(
      () => r.items("s"),
      "Recursion limit exceeded in value substitution: option 'loop' in section 's' contains an interpolation key which cannot be substituted in 10 steps. Raw value: '%(loop)s'",
    );
  });

  test("escapeIniValue makes any value come back out of get()", () => {
    for (const v of ["100%", "%(home)s", "%%", "a%b%%c%(x"]) {
      const d = parse(`[s]\nk = ${escapeIniValue(v)}\n`);
      assert.equal(iniReader(d).get("s", "k"), v);
    }
  });
});

describe("pyLower", () => {
  test("Python 3.11's str.lower(), not Node's newer tables", () => {
    assert.equal(pyLower("ÀB\u03a3"), "àbς");
    assert.equal(pyLower("İ"), "i\u0307");
    // Assigned upper-case letters after Unicode 14: Python 3.11 leaves them alone.
    assert.equal(pyLower("A\ua7cbB\u{16ea0}C"), "a\ua7cbb\u{16ea0}c");
  });
});
