import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { diagnose, diagnoseRaw, findOs, loadOs, type OsVerdict } from "../../src/osdef/index.js";
import { isGuestosError } from "../../src/errors.js";
import { buildOsTree, buildSecondTree, OS_TREE_CASES, SECOND_TREE_CASES } from "../fixtures/osdirs.js";
import { askOracle, requireGaneti, type OracleDiagnoseEntry, type TryOsAnswer } from "./ganeti.js";
import {
  adjustedOracleOs,
  adjustedTuple,
  caseLabel,
  definitionAsOracle,
  makeTempDir,
  removeTempDir,
  verdictAsTuple,
} from "./compare.js";

// Parity of OS discovery and validation with Ganeti's DiagnoseOS / _TryOSFromDisk over the fixture trees.
// The one adjustment: parameters.list blank and "#" lines, which guestos ignores (compare.ts).

let tmp: string | undefined;
let one = "";
let two = "";

before(async () => {
  tmp = await makeTempDir("diagnose");
  one = (await buildOsTree(join(tmp, "one"))).dir;
  two = (await buildSecondTree(join(tmp, "two"))).dir;
  await writeFile(join(tmp, "not-a-dir"), "a search path entry that is a file\n");
});
after(() => removeTempDir(tmp));

function byPath(list: OracleDiagnoseEntry[]): Map<string, OracleDiagnoseEntry> {
  return new Map(list.map((e) => [e.path, e]));
}

/** Entries ordered by search dir, then by path (readdir order within a dir is checked on its own). */
function inSearchOrder(list: OracleDiagnoseEntry[], searchPath: string[]): OracleDiagnoseEntry[] {
  const dirIndex = (e: OracleDiagnoseEntry) => searchPath.findIndex((d) => e.path.startsWith(`${d}/`));
  return [...list].sort(
    (a, b) => dirIndex(a) - dirIndex(b) || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0),
  );
}

/** Compare one verdict of ours with Ganeti's tuple for the same path (or both absent for hidden names). */
function assertSameVerdict(ours: OsVerdict | undefined, ganeti: OracleDiagnoseEntry | undefined): void {
  if (ganeti === undefined) {
    assert.equal(ours, undefined, "Ganeti does not list this entry, guestos does");
    return;
  }
  assert.ok(
    ours !== undefined,
    `guestos does not list ${ganeti.path}; Ganeti says ${JSON.stringify(ganeti)}`,
  );
  assert.deepEqual(verdictAsTuple(ours), adjustedTuple(ganeti));
}

/** Compare findOs/loadOs (a definition or a thrown message) with a _TryOSFromDisk answer. */
function assertSameLookup(ours: { os?: unknown; message?: string }, ganeti: TryOsAnswer): void {
  if (ganeti.ok) {
    assert.equal(ours.message, undefined, `Ganeti found a valid OS, guestos says: ${ours.message ?? ""}`);
    assert.deepEqual(ours.os, adjustedOracleOs(ganeti.os));
  } else {
    assert.equal(ours.message, ganeti.message);
  }
}

describe("diagnose parity with Ganeti's DiagnoseOS", () => {
  test("one search dir: every fixture entry", async (t) => {
    if (!requireGaneti(t)) return;
    const [g] = await askOracle([{ kind: "diagnose", search_path: [one] }]);
    const ours = await diagnoseRaw([one]);
    const ganeti = byPath(g.oses);
    const mine = new Map(ours.map((v) => [v.path, v]));

    await t.test(
      "the same entries in the same order (Ganeti: os.listdir, the kernel's getdents order)",
      () => {
        assert.deepEqual(
          ours.map((v) => v.path),
          g.oses.map((e) => e.path),
        );
      },
    );
    for (const k of OS_TREE_CASES) {
      const path = `${one}/${k.name}`;
      await t.test(`${caseLabel(k.name)}: ${k.what}`, () =>
        assertSameVerdict(mine.get(path), ganeti.get(path)),
      );
    }
    await t.test("only API 5 carries guestos's upgrade hint", () => {
      const v = mine.get(`${one}/api-only-5`);
      assert.ok(v !== undefined && !v.valid);
      assert.equal(typeof v.hint, "string");
      assert.ok(v.hint!.length > 0);
    });
  });

  test("loadOs(name, dir) equals _TryOSFromDisk(name, base_dir)", async (t) => {
    if (!requireGaneti(t)) return;
    const names = [...OS_TREE_CASES.map((k) => k.name), "nosuch", "", "../one/api10", "api10/"];
    const answers = await askOracle(names.map((name) => ({ kind: "try_os" as const, name, base_dir: one })));
    for (const [i, name] of names.entries()) {
      await t.test(caseLabel(name), async () => {
        const v = await loadOs(name, one);
        const ours = v.valid ? { os: definitionAsOracle(v.os) } : { message: v.message };
        assertSameLookup(ours, answers[i]!);
      });
    }
  });

  test("two search dirs: DiagnoseOS lists every copy", async (t) => {
    if (!requireGaneti(t)) return;
    const searchPath = [one, two, join(tmp!, "nonexistent"), join(tmp!, "not-a-dir")];
    const [g] = await askOracle([{ kind: "diagnose", search_path: searchPath }]);
    const ours = await diagnoseRaw(searchPath);
    // Within one dir the order is checked above; here: every entry, search dirs in search-path order.
    assert.deepEqual(
      inSearchOrder(ours.map(verdictAsTuple), searchPath),
      inSearchOrder(g.oses.map(adjustedTuple), searchPath),
    );
  });

  // gnt-os diagnose (LUOsDiagnose) takes, per name, the first entry DiagnoseOS lists: even a plain file in an
  // earlier search dir shadows a valid directory later on. Running an OS goes through OSFromDisk instead,
  // which only looks at directories: the findOs test below checks that side.
  test("two search dirs: grouping and shadowing as gnt-os diagnose (first listed entry wins)", async (t) => {
    if (!requireGaneti(t)) return;
    const searchPath = [one, two];
    const catalog = await diagnose(searchPath);
    const names = catalog.map((e) => e.name);
    const [g] = await askOracle([{ kind: "diagnose", search_path: searchPath }]);

    await t.test("one catalog entry per listed name", () => {
      assert.deepEqual([...names].sort(), [...new Set(g.oses.map((e) => e.name))].sort());
    });
    for (const entry of catalog) {
      const label = SECOND_TREE_CASES.find((k) => k.name === entry.name);
      await t.test(`${caseLabel(entry.name)}${label ? `: ${label.what}` : ""}`, () => {
        const copies = g.oses.filter((e) => e.name === entry.name);
        assert.deepEqual(verdictAsTuple(entry.first), adjustedTuple(copies[0]!));
        assert.deepEqual(entry.shadowed.map(verdictAsTuple), copies.slice(1).map(adjustedTuple));
      });
    }
  });

  test("findOs(name, searchPath) equals _TryOSFromDisk(name) over the search path", async (t) => {
    if (!requireGaneti(t)) return;
    const searchPath = [one, two];
    const names = [
      ...new Set([...OS_TREE_CASES, ...SECOND_TREE_CASES].map((k) => k.name)),
      "nosuch",
      "api20+minimal",
    ];
    const answers = await askOracle(
      names.map((name) => ({
        kind: "try_os" as const,
        // OSFromDisk strips the variant before _TryOSFromDisk
        name: name.split("+")[0]!,
        base_dir: null,
        search_path: searchPath,
      })),
    );
    for (const [i, name] of names.entries()) {
      await t.test(caseLabel(name), async () => {
        let ours: { os?: unknown; message?: string };
        try {
          ours = { os: definitionAsOracle(await findOs(name, searchPath)) };
        } catch (err) {
          assert.ok(isGuestosError(err), `findOs threw a non-GuestosError: ${String(err)}`);
          assert.ok(["OS_NOT_FOUND", "OS_INVALID"].includes(err.code), `unexpected code ${err.code}`);
          ours = { message: err.message };
        }
        assertSameLookup(ours, answers[i]!);
      });
    }
  });
});
