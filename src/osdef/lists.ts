// variants.list and parameters.list (_TryOSFromDisk).
import { pySplitOnce, pySplitlines, pyStrip } from "./pycompat.js";
import type { OsParameter } from "./types.js";

/** Ganeti's FilterEmptyLinesAndComments: stripped lines, without blank ones and those starting with "#". */
export function parseVariantsList(text: string): string[] {
  const out: string[] = [];
  for (const raw of pySplitlines(text)) {
    const line = pyStrip(raw);
    if (line !== "" && !line.startsWith("#")) out.push(line);
  }
  return out;
}

/**
 * parameters.list: each line split once on its first run of whitespace, like Python's split(None, 1): the name,
 * then the help text (leading blanks removed, trailing kept, "" when absent). Design decision: blank lines and
 * lines whose first non-blank character is "#" are ignored (Ganeti crashes on the former and declares a
 * parameter "#" for the latter).
 */
export function parseParametersList(text: string): OsParameter[] {
  const out: OsParameter[] = [];
  for (const line of pySplitlines(text)) {
    const parts = pySplitOnce(line);
    const name = parts[0];
    if (name === undefined || name.startsWith("#")) continue;
    out.push({ name, description: parts[1] ?? "" });
  }
  return out;
}
