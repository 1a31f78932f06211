import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import * as osdef from "./index.js";

describe("src/osdef public face", () => {
  test("exports the documented API", () => {
    const fns = [
      "searchPathFrom",
      "isValidOsName",
      "splitNameVariant",
      "parseApiVersionFile",
      "parseVariantsList",
    ];
    fns.push("parseParametersList", "loadOs", "diagnoseRaw", "diagnose", "findOs", "checkVariant");
    fns.push("checkParameters", "validateOs", "niceSort");
    for (const f of fns) assert.equal(typeof (osdef as Record<string, unknown>)[f], "function", f);
    assert.ok(osdef.OS_NAME_MASK instanceof RegExp);
    assert.deepEqual(osdef.SUPPORTED_API_VERSIONS, [10, 15, 20]);
    assert.equal(osdef.DEFAULT_SEARCH_PATH.length, 4);
  });

  test("its static imports stay light: no zod, no environment or runner modules", () => {
    const seen = new Set<string>();
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      const src = readFileSync(file, "utf8");
      for (const m of src.matchAll(/^(?:import|export)\s+(?!type\b)[^;]*?from\s+"([^"]+)"/gms)) {
        const spec = m[1]!;
        assert.ok(!spec.startsWith("zod"), `${file} imports ${spec}`);
        if (spec.startsWith(".")) visit(resolve(dirname(file), spec.replace(/\.js$/, ".ts")));
      }
    };
    visit(join(dirname(fileURLToPath(import.meta.url)), "index.ts"));
    const files = [...seen].map((f) => f.split("/src/")[1]);
    assert.ok(
      !files.some((f) => f === "env/index.ts" || f === "env/spec.ts" || f?.startsWith("run/")),
      files.join(" "),
    );
  });
});
