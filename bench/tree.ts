import { chmod, mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";

const SCRIPT = "#!/bin/sh\nexit 0\n";

async function writeOs(dir: string, broken: boolean): Promise<void> {
  await mkdir(dir, { recursive: true });
  const files: [string, string, number][] = [
    ["ganeti_api_version", "20\n15\n10\n", 0o644],
    ["variants.list", "default\nminimal\n", 0o644],
    ["parameters.list", "filesystem the filesystem to create\nmirror where packages come from\n", 0o644],
  ];
  for (const s of ["create", "export", "import", "rename", "verify"]) files.push([s, SCRIPT, 0o755]);
  // A broken OS: its rename script lost the owner-execute bit, which is only found after every other check.
  if (broken) files[files.length - 2] = ["rename", SCRIPT, 0o644];
  await Promise.all(
    files.map(async ([name, body, mode]) => {
      await writeFile(join(dir, name), body);
      await chmod(join(dir, name), mode);
    }),
  );
}

/** Write `valid` valid and `broken` broken API-20 OS definitions under `root` (created). */
export async function buildBenchTree(root: string, valid: number, broken: number): Promise<void> {
  await mkdir(root, { recursive: true });
  const jobs: Promise<void>[] = [];
  for (let i = 0; i < valid; i++) jobs.push(writeOs(join(root, `os-${i}`), false));
  for (let i = 0; i < broken; i++) jobs.push(writeOs(join(root, `broken-${i}`), true));
  await Promise.all(jobs);
}
