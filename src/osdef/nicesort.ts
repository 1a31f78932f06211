// Ganeti's NiceSort (utils/algo.py): names are cut into up to eight runs of digits or non-digits plus the rest,
// digit runs compare as numbers, so "os9" sorts before "os10".
import { pyDecimalValue } from "./pyint.js";
import { pyCompare } from "./pycompat.js";

/** One element of a sort key: null (no such run) < number < string, like Ganeti's _NiceSortAtom. */
type Atom = null | bigint | string;

const GROUPS = 8;

function digitsValue(run: string): bigint {
  let v = 0n;
  for (const ch of run) v = v * 10n + BigInt(pyDecimalValue(ch.codePointAt(0)!));
  return v;
}

/** NiceSortKey: Python's `^(\D+|\d+)?` x 8 `(.*)$` match, with \d meaning any Unicode decimal digit. */
export function niceSortKey(value: string): Atom[] {
  const key: Atom[] = [];
  let i = 0;
  while (key.length < GROUPS && i < value.length) {
    const start = i;
    const digit = pyDecimalValue(value.codePointAt(i)!) >= 0;
    while (i < value.length) {
      const cp = value.codePointAt(i)!;
      if (pyDecimalValue(cp) >= 0 !== digit) break;
      i += cp > 0xffff ? 2 : 1;
    }
    const run = value.slice(start, i);
    key.push(digit ? digitsValue(run) : run);
  }
  while (key.length < GROUPS) key.push(null);
  // "(.*)$": "." stops at a newline and "$" may match before a final one. (Ganeti crashes on other newlines.)
  let rest = value.slice(i);
  if (rest.endsWith("\n")) rest = rest.slice(0, -1);
  key.push(rest);
  return key;
}

function compareAtoms(a: Atom, b: Atom): number {
  if (a === b) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  if (typeof a === "bigint") return typeof b === "bigint" ? (a < b ? -1 : a > b ? 1 : 0) : -1;
  return typeof b === "bigint" ? 1 : pyCompare(a, b);
}

function compareKeys(a: Atom[], b: Atom[]): number {
  for (let i = 0; i < a.length; i++) {
    const c = compareAtoms(a[i]!, b[i]!);
    if (c !== 0) return c;
  }
  return 0;
}

/** Ganeti's NiceSort: a sorted copy, numbers inside names compared numerically; stable for equal keys. */
export function niceSort(values: readonly string[]): string[];
export function niceSort<T>(values: readonly T[], key: (value: T) => string): T[];
export function niceSort<T>(values: readonly T[], key?: (value: T) => string): T[] {
  const keyed = values.map((v) => ({ v, k: niceSortKey(key ? key(v) : String(v)) }));
  keyed.sort((x, y) => compareKeys(x.k, y.k));
  return keyed.map((e) => e.v);
}
