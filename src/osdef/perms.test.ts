// Permission errors (EACCES) as an unprivileged user sees them, compared with Ganeti's DiagnoseOS run as the
// same user. Root ignores file modes, so under root both sides run as "nobody".
import { execFileSync } from "node:child_process";
import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import type { OsVerdict } from "./types.js";

const asUser = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
const SCRIPT = "#!/bin/sh\nexit 0\n";

let root: string;

async function writeOs(dir: string, modes: Record<string, number> = {}): Promise<void> {
  await mkdir(dir, { recursive: true });
  const files: Record<string, string> = {
    ganeti_api_version: "20\n",
    "parameters.list": "a b\n",
    "variants.list": "v\n",
  };
  for (const s of ["create", "export", "import", "rename", "verify"]) files[s] = SCRIPT;
  for (const [name, body] of Object.entries(files)) {
    await writeFile(join(dir, name), body);
    await chmod(join(dir, name), modes[name] ?? (body === SCRIPT ? 0o755 : 0o644));
  }
}

before(async () => {
  root = await mkdtemp(join(tmpdir(), "guestos-osdef-perms-"));
  await chmod(root, 0o755);
  const s1 = join(root, "s1");
  await writeOs(join(s1, "ok"));
  await writeOs(join(s1, "noread"), { ganeti_api_version: 0o000 });
  await writeOs(join(s1, "novariants"), { "variants.list": 0o000 });
  await writeOs(join(s1, "noparams"), { "parameters.list": 0o000 });
  await writeOs(join(s1, "nosearch"));
  await chmod(join(s1, "nosearch"), 0o644);
  await writeOs(join(root, "s2", "hidden"));
  await chmod(join(root, "s2"), 0o311);
  await writeOs(join(root, "s3", "later"));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

test("EACCES verdicts and the scan stopping at an unlistable dir match Ganeti's", () => {
  const dirs = JSON.stringify(["s1", "s2", "s3"].map((d) => join(root, d)));
  const ours = JSON.parse(
    execFileSync(
      process.execPath,
      [
        "--import",
        "tsx",
        "--input-type=module",
        "-e",
        `const m = await import(${JSON.stringify(new URL("./catalog.ts", import.meta.url).href)});
         console.log(JSON.stringify(await m.diagnoseRaw(JSON.parse(process.env.DIRS))));`,
      ],
      { ...asUser, cwd: process.cwd(), env: { ...process.env, DIRS: dirs } },
    ).toString(),
  ) as OsVerdict[];
  const script = `import json, logging, os, sys
sys.path.insert(0, "/usr/share/ganeti/default")
logging.disable(logging.CRITICAL)
from ganeti import backend
print(json.dumps(backend.DiagnoseOS(top_dirs=json.loads(os.environ["DIRS"]))))`;
  const theirs = JSON.parse(
    execFileSync("/usr/bin/python3", ["-c", script], { ...asUser, env: { DIRS: dirs } }).toString(),
  ) as unknown[][];
  const tuple = (v: OsVerdict) => (v.valid ? [v.name, v.path, true, ""] : [v.name, v.path, false, v.message]);
  assert.deepEqual(
    ours.map(tuple),
    theirs.map((t) => t.slice(0, 4)),
  );
  const msg = Object.fromEntries(ours.map((v) => [v.name, v.valid ? "" : v.message]));
  const s1 = join(root, "s1");
  assert.deepEqual(msg, {
    ok: "",
    noread: `Error while reading the API version file at ${s1}/noread/ganeti_api_version: EACCES`,
    novariants: `Error while reading the OS variants file at ${s1}/novariants/variants.list: EACCES`,
    noparams: `Error while reading the OS parameters file at ${s1}/noparams/parameters.list: EACCES`,
    nosearch: `Required file 'ganeti_api_version' not found under path ${s1}/nosearch: EACCES`,
  });
});
