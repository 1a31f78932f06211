import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  fieldTable,
  parseFields,
  pyText,
  renderFieldList,
  renderQuery,
  UNAVAIL,
  type FieldDef,
} from "./query.js";

interface Item {
  name: string;
  size: number | null;
  on: boolean;
  when: number;
  extra: unknown;
}

const TABLE = fieldTable<Item>([
  { name: "name", title: "Name", kind: "text", doc: "The name", get: (i) => i.name },
  { name: "size", title: "Size", kind: "unit", doc: "The size", get: (i) => i.size ?? UNAVAIL },
  { name: "n", title: "N", kind: "number", doc: "A number", get: (i) => i.name.length },
  { name: "on", title: "On", kind: "bool", doc: "A flag", get: (i) => i.on },
  { name: "when", title: "When", kind: "timestamp", doc: "A time", get: (i) => i.when },
  { name: "extra", title: "Extra", kind: "other", doc: "Anything", get: (i) => i.extra },
] satisfies FieldDef<Item>[]);

const ITEMS: Item[] = [
  { name: "alpha", size: 512, on: true, when: 0, extra: { b: [1, null], a: "x'y" } },
  { name: "b", size: null, on: false, when: 1.5, extra: null },
];

describe("parseFields", () => {
  test("Ganeti's ParseFields", () => {
    assert.deepEqual(parseFields(undefined, ["a", "b"]), ["a", "b"]);
    assert.deepEqual(parseFields("c,d", ["a", "b"]), ["c", "d"]);
    assert.deepEqual(parseFields("+c,d", ["a", "b"]), ["a", "b", "c", "d"]);
    assert.deepEqual(parseFields("", ["a"]), [""]);
    assert.deepEqual(parseFields("+", ["a"]), ["a", ""]);
  });
});

describe("pyText", () => {
  test("Python's str() with dict keys sorted", () => {
    assert.equal(pyText({ b: [1, null, true], a: "x'y" }), `{'a': "x'y", 'b': [1, None, True]}`);
    assert.equal(pyText(null), "None");
    assert.equal(pyText("plain"), "plain");
    assert.equal(pyText(1.5), "1.5");
    assert.equal(pyText([]), "[]");
  });
});

describe("renderQuery", () => {
  test("every kind formatted; numbers and units right-aligned; unavailable as -", () => {
    const r = renderQuery(TABLE, ITEMS, ["name", "size", "n", "on", "when", "extra"], { timeZone: "UTC" });
    assert.deepEqual(r.lines, [
      "Name  Size N On When                Extra",
      "alpha 512M 5 Y  1970-01-01 00:00:00 {'a': \"x'y\", 'b': [1, None]}",
      "b        - 1 N  1970-01-01 00:00:01 None",
    ]);
  });

  test("with a separator, units default to MiB; an empty separator keeps h", () => {
    assert.deepEqual(renderQuery(TABLE, ITEMS, ["size"], { separator: "," }).lines, ["Size", "512", "-"]);
    assert.deepEqual(renderQuery(TABLE, ITEMS, ["size", "n"], { separator: "" }).lines, [
      "SizeN",
      "512M5",
      "-1",
    ]);
    assert.deepEqual(renderQuery(TABLE, ITEMS, ["size"], { separator: ",", units: "g" }).lines, [
      "Size",
      "0.5",
      "-",
    ]);
  });

  test("unknown fields, and -v", () => {
    const r = renderQuery(TABLE, ITEMS, ["x", "size"], { verbose: true, noHeaders: true });
    assert.deepEqual(r, { lines: ["(unknown)      512M", "(unknown) (unavail)"], unknownFields: ["x"] });
  });

  test("overrides replace the kind's formatter", () => {
    const r = renderQuery(TABLE, ITEMS, ["extra"], { override: { extra: () => "!" } });
    assert.deepEqual(r.lines, ["Extra", "!", "!"]);
  });
});

describe("renderFieldList", () => {
  test("NiceSorted when no fields are named; Ganeti's type names", () => {
    assert.deepEqual(renderFieldList(TABLE, []).lines, [
      "Name  Type         Title Description",
      "extra Custom       Extra Anything",
      "n     Number       N     A number",
      "name  Text         Name  The name",
      "on    Boolean      On    A flag",
      "size  Storage size Size  The size",
      "when  Timestamp    When  A time",
    ]);
  });
});
