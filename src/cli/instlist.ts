/*
 * `guestos instance list` and `instance list-fields`, rendered as gnt-instance list/list-fields render
 * them (ListInstances, GenericList, FormatQueryResult).
 */
import type { InstanceView } from "../node/types.js";
import { DEFAULT_INSTANCE_FIELDS, INSTANCE_FIELDS } from "./instfields.js";
import {
  commaJoined,
  parseFields,
  renderFieldList,
  renderQuery,
  type FormatOverride,
  type ListOpts,
  type ListResult,
} from "./query.js";

/** Fields gnt-instance list prints comma-joined instead of as a Python list. */
const JOINED = [
  "tags",
  "disk.sizes",
  "nic.macs",
  "nic.ips",
  "nic.modes",
  "nic.links",
  "nic.bridges",
  "nic.networks",
  "snodes",
];
const OVERRIDE: FormatOverride = Object.fromEntries(JOINED.map((name) => [name, commaJoined]));

/** Options of `instance list`: `fields` is the -o value (`a,b` or `+a,b`). */
export interface InstanceListOpts extends ListOpts {
  fields?: string | undefined;
}

/**
 * The instance table, one row per view in the given order (the caller sorts and selects). Unknown
 * fields are listed in `unknownFields`: the caller warns `Warning: Queried for unknown fields a, b` and exits 14.
 */
export function renderInstanceList(views: readonly InstanceView[], opts: InstanceListOpts = {}): ListResult {
  const fields = parseFields(opts.fields, DEFAULT_INSTANCE_FIELDS);
  return renderQuery(INSTANCE_FIELDS, views, fields, { ...opts, override: OVERRIDE });
}

/** `instance list-fields [F...]`: Name, Type, Title, Description; every field, NiceSorted, when none are named. */
export function renderInstanceListFields(
  fields: readonly string[] = [],
  opts: Pick<ListOpts, "noHeaders" | "separator"> = {},
): ListResult {
  return renderFieldList(INSTANCE_FIELDS, fields, opts);
}
