import type { z } from "zod";
import { GuestosError } from "../errors.js";

/** A field path inside the spec document, as zod reports it. */
export type Path = readonly PropertyKey[];

/** One thing wrong with a spec document. */
export interface Problem {
  path: Path;
  what: string;
}

/** `disks[1].size`, `osparams["a b"]`; the empty path is `document`. */
export function formatPath(path: Path): string {
  let out = "";
  for (const seg of path) {
    if (typeof seg === "number") out += `[${seg}]`;
    else if (typeof seg === "string" && /^[A-Za-z_$][\w$-]*$/.test(seg)) out += out ? `.${seg}` : seg;
    else out += `[${JSON.stringify(String(seg))}]`;
  }
  return out || "document";
}

function valueAt(doc: unknown, path: Path): unknown {
  let v = doc;
  for (const seg of path) {
    if (v === null || typeof v !== "object" || !Object.hasOwn(v, seg)) return undefined;
    v = (v as Record<PropertyKey, unknown>)[seg];
  }
  return v;
}

function describeValue(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "a list";
  if (typeof v === "object") return "an object";
  if (typeof v === "string") return JSON.stringify(v);
  return typeof v === "number" || typeof v === "boolean" ? String(v) : typeof v;
}

const EXPECTED: Record<string, string> = {
  string: "a string",
  number: "a number",
  int: "an integer",
  boolean: "true or false",
  object: "an object",
  record: "an object",
  array: "a list",
  null: "null",
};

/** Our wording for one zod issue (an unknown-keys issue names each key). */
export function describeIssue(issue: z.core.$ZodIssue, doc: unknown): Problem[] {
  const path = issue.path;
  const got = valueAt(doc, path);
  switch (issue.code) {
    case "unrecognized_keys":
      return issue.keys.map((key) => ({ path: [...path, key], what: "unknown field" }));
    case "invalid_type":
      if (got === undefined) return [{ path, what: "required field is missing" }];
      return [
        { path, what: `expected ${EXPECTED[issue.expected] ?? issue.expected}, got ${describeValue(got)}` },
      ];
    case "invalid_union":
      return [
        { path, what: `expected a string, number, true/false, null or a list, got ${describeValue(got)}` },
      ];
    case "invalid_value":
      return [
        {
          path,
          what: `must be one of ${issue.values.map((x) => JSON.stringify(x)).join(", ")}, got ${describeValue(got)}`,
        },
      ];
    case "too_small":
      if (issue.origin === "string") return [{ path, what: "must not be empty" }];
      if (issue.origin === "array") return [{ path, what: `must have at least ${issue.minimum} items` }];
      return [{ path, what: `must be at least ${issue.minimum}, got ${describeValue(got)}` }];
    case "too_big":
      if (issue.origin === "array") {
        const len = Array.isArray(got) ? got.length : 0;
        return [{ path, what: `must have at most ${issue.maximum} items, got ${len}` }];
      }
      return [{ path, what: `must be at most ${issue.maximum}, got ${describeValue(got)}` }];
    default:
      return [{ path, what: issue.message }];
  }
}

/** The SPEC_INVALID error: the first problem in the message, the others in the hint. */
export function specError(problems: Problem[], source?: string): GuestosError {
  const [first, ...rest] = problems.map((p) => `${formatPath(p.path)}: ${p.what}`);
  const hint = rest.length > 0 ? `Also: ${rest.join("; ")}` : undefined;
  const what = source === undefined ? "instance spec" : `instance spec "${source}"`;
  return new GuestosError("SPEC_INVALID", `Cannot read ${what}: ${first}`, { hint });
}
