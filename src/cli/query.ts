/*
 * The query-list machinery behind every gnt-* list command (cli.ParseFields, cli.FormatQueryResult,
 * cli.GenericListFields), over a table of field definitions.
 */
// Straight to the modules, not the folders' index files: those pull in zod and the OS catalog, which a
// list command does not need at start-up.
import { niceSort } from "../osdef/nicesort.js";
import { pyText } from "./pytext.js";
import { formatColumns, type TableCell } from "./table.js";
import { formatTime, type TimeOpts } from "./timefmt.js";
import { formatUnit } from "../node/units.js";

/** Ganeti's query field types (QFT_*), lower-case. */
export type FieldKind = "text" | "bool" | "number" | "unit" | "timestamp" | "other";

/** The value of a field that exists but has no data for this item (RS_UNAVAIL: `-`). */
export const UNAVAIL: unique symbol = Symbol("unavailable");

/** One field of a list command: name (as given to -o), column title, type, description, getter. */
export interface FieldDef<T> {
  name: string;
  title: string;
  kind: FieldKind;
  doc: string;
  get: (item: T) => unknown;
}

/** Ganeti's type names for list-fields. */
const KIND_NAMES: Record<FieldKind | "unknown", string> = {
  unknown: "Unknown",
  text: "Text",
  bool: "Boolean",
  number: "Number",
  unit: "Storage size",
  timestamp: "Timestamp",
  other: "Custom",
};

/** Size units of --units: human, MiB, GiB, TiB. */
export type Unit = "h" | "m" | "g" | "t";

/** Options shared by the list commands. */
export interface ListOpts extends TimeOpts {
  noHeaders?: boolean | undefined;
  separator?: string | undefined;
  units?: Unit | undefined;
  /** -v: `(unavail)` and `(unknown)` instead of `-` and `??`. */
  verbose?: boolean | undefined;
}

/** What a list command prints, and the unknown fields it was asked for (stderr warning, exit 14). */
export interface ListResult {
  lines: string[];
  unknownFields: string[];
}

export { pyText } from "./pytext.js";

/** Ganeti's ParseFields: -o `a,b` replaces the defaults, `+a,b` appends to them. */
export function parseFields(selected: string | undefined, defaults: readonly string[]): string[] {
  if (selected === undefined) return [...defaults];
  if (selected.startsWith("+")) return [...defaults, ...selected.slice(1).split(",")];
  return selected.split(",");
}

/** Python truthiness of a JSON value, as _FormatBool applies it. */
function truthy(v: unknown): boolean {
  if (Array.isArray(v)) return v.length > 0;
  if (v !== null && typeof v === "object") return Object.keys(v).length > 0;
  return Boolean(v);
}

type Formatter = (v: unknown) => string;

function formatterFor(kind: FieldKind, unit: Unit, opts: TimeOpts): Formatter {
  switch (kind) {
    case "bool":
      return (v) => (truthy(v) ? "Y" : "N");
    case "unit":
      return (v) => (typeof v === "number" ? formatUnit(v, unit) : pyText(v));
    case "timestamp":
      return (v) => formatTime(typeof v === "number" ? v : null, opts);
    default:
      return pyText;
  }
}

/** Per-field formatting overrides of one command (Ganeti's format_override); see MeasuredCell. */
export type FormatOverride = Readonly<Record<string, (v: unknown) => TableCell>>;

/** Ganeti's comma-joined list override: `",".join(str(item) for item in value)`. */
export const commaJoined: Formatter = (v) => (Array.isArray(v) ? v.map(pyText).join(",") : pyText(v));

/**
 * Ganeti's GenericList/FormatQueryResult for already-selected items: one row per item, in order.
 * Number and unit columns are right-aligned; unknown fields get their name as title and `??` cells.
 */
export function renderQuery<T>(
  table: ReadonlyMap<string, FieldDef<T>>,
  items: readonly T[],
  fields: readonly string[],
  opts: ListOpts & { override?: FormatOverride },
): ListResult {
  const unit = opts.units ?? (opts.separator ? "m" : "h");
  const unknownFields: string[] = [];
  const cols = fields.map((name) => {
    const def = table.get(name);
    if (!def) {
      unknownFields.push(name);
      const cell = opts.verbose ? "(unknown)" : "??";
      return { title: name, alignRight: false, cell: (): TableCell => cell };
    }
    const fmt: (v: unknown) => TableCell = opts.override?.[name] ?? formatterFor(def.kind, unit, opts);
    const unavail = opts.verbose ? "(unavail)" : "-";
    return {
      title: def.title,
      alignRight: def.kind === "number" || def.kind === "unit",
      cell: (item: T): TableCell => {
        const v = def.get(item);
        return v === UNAVAIL ? unavail : fmt(v);
      },
    };
  });
  const rows = items.map((item) => cols.map((c) => c.cell(item)));
  const lines = formatColumns(cols, rows, { header: !opts.noHeaders, separator: opts.separator });
  return { lines, unknownFields };
}

/** Ganeti's GenericListFields: Name, Type, Title, Description; all fields NiceSorted when none are named. */
export function renderFieldList<T>(
  table: ReadonlyMap<string, FieldDef<T>>,
  selected: readonly string[],
  opts: Pick<ListOpts, "noHeaders" | "separator"> = {},
): ListResult {
  const names = selected.length > 0 ? selected : niceSort([...table.keys()]);
  const unknownFields: string[] = [];
  const rows = names.map((name) => {
    const def = table.get(name);
    if (def) return [def.name, KIND_NAMES[def.kind], def.title, def.doc];
    unknownFields.push(name);
    return [name, KIND_NAMES.unknown, name, `Unknown field '${name}'`];
  });
  const cols = ["Name", "Type", "Title", "Description"].map((title) => ({ title, alignRight: false }));
  const lines = formatColumns(cols, rows, { header: !opts.noHeaders, separator: opts.separator });
  return { lines, unknownFields };
}

/** A field table keyed by name, in definition order. */
export function fieldTable<T>(defs: readonly FieldDef<T>[]): ReadonlyMap<string, FieldDef<T>> {
  return new Map(defs.map((d) => [d.name, d]));
}
