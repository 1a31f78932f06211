/*
 * Ganeti's cli.PrintGenericInfo (the YAML-like layout of gnt-instance info and gnt-job info). Python tells
 * its containers apart by type (dict, list of tuples, tuple, list); here they are tagged objects.
 */

/** A value PrintGenericInfo can print. Strings are printed as they are. */
export type Info = string | readonly Info[] | InfoPairs | InfoDict | InfoInline;

/** One entry of an ordered dict: key, value and optionally an alignment group. */
export type InfoEntry = readonly [string, Info] | readonly [string, Info, string];

/** A list of (key, value[, group]) tuples: an ordered dict; values of one group are aligned. */
export interface InfoPairs {
  readonly kind: "pairs";
  readonly entries: readonly InfoEntry[];
}

/** A plain dict: printed with its keys sorted. */
export interface InfoDict {
  readonly kind: "dict";
  readonly entries: Readonly<Record<string, Info>>;
}

/** A tuple of scalars: printed inline as `[a, b, c]`. */
export interface InfoInline {
  readonly kind: "inline";
  readonly items: readonly string[];
}

/** An ordered dict (Python's list of tuples). */
export const pairs = (entries: readonly InfoEntry[]): InfoPairs => ({ kind: "pairs", entries });

/** A plain dict, keys sorted on output. */
export const dict = (entries: Readonly<Record<string, Info>>): InfoDict => ({ kind: "dict", entries });

/** A tuple of scalars, printed inline. */
export const inline = (items: readonly string[]): InfoInline => ({ kind: "inline", items });

/** Python's sorted() on str: by code point (JS's default sort compares UTF-16 units). */
export function codePointCompare(a: string, b: string): number {
  const ia = a[Symbol.iterator]();
  const ib = b[Symbol.iterator]();
  for (;;) {
    const x = ia.next();
    const y = ib.next();
    if (x.done || y.done) return x.done && y.done ? 0 : x.done ? -1 : 1;
    const d = x.value.codePointAt(0)! - y.value.codePointAt(0)!;
    if (d !== 0) return d;
  }
}

const IND = "  ";
const len = (s: string): number => [...s].length;

function serialize(out: string[], data: Info, level: number, afterkey = false): void {
  if (typeof data === "string") {
    // Ganeti writes a multi-line string as is, breaking the layout; guestos indents its continuation lines.
    out.push(data.split("\n").join("\n" + IND.repeat(level)), "\n");
    return;
  }
  const keyed = isKeyed(data);
  if (keyed) {
    const entries: InfoEntry[] =
      keyed.kind === "dict"
        ? Object.keys(keyed.entries)
            .sort(codePointCompare)
            .map((k) => [k, keyed.entries[k]!])
        : [...keyed.entries];
    if (entries.length === 0) {
      out.push("\n");
      return;
    }
    const align = new Map<string, number>();
    for (const e of entries)
      if (e[2] !== undefined) align.set(e[2], Math.max(align.get(e[2]) ?? 0, len(e[0])));
    if (afterkey) out.push("\n");
    entries.forEach((e, i) => {
      if (afterkey || i > 0) out.push(IND.repeat(level));
      out.push(e[0], ": ");
      if (e[2] !== undefined) out.push(" ".repeat(align.get(e[2])! - len(e[0])));
      serialize(out, e[1], level + 1, true);
    });
    return;
  }
  if (!Array.isArray(data)) {
    out.push(`[${(data as InfoInline).items.join(", ")}]\n`);
    return;
  }
  const items = data as readonly Info[];
  if (items.length === 0) {
    out.push("\n");
    return;
  }
  if (afterkey) out.push("\n");
  items.forEach((item, i) => {
    if (afterkey || i > 0) out.push(IND.repeat(level));
    out.push("- ");
    serialize(out, item, level + 1);
  });
}

function isKeyed(data: Info): InfoPairs | InfoDict | null {
  if (typeof data === "string" || Array.isArray(data)) return null;
  const d = data as InfoPairs | InfoDict | InfoInline;
  return d.kind === "inline" ? null : d;
}

/** PrintGenericInfo's output lines (it strips trailing newlines, then prints one). */
export function genericInfoLines(data: Info): string[] {
  const out: string[] = [];
  serialize(out, data, 0);
  return out.join("").replace(/\n+$/, "").split("\n");
}
