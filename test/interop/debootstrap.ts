import { mkdir, readFile, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Dep } from "./deps.js";

/** Debian's ganeti-instance-debootstrap OS definition. */
export const DEBOOTSTRAP = "/usr/share/ganeti/os/debootstrap";

/** What the debootstrap tests need installed. */
export const DEBOOTSTRAP_DEPS: Dep[] = [
  { path: DEBOOTSTRAP, pkg: "ganeti-instance-debootstrap" },
  { path: "/usr/sbin/debootstrap", pkg: "debootstrap" },
];

/**
 * Debian's debootstrap OS definition in `searchDir`, with a `bookworm` variant that makes no partitions
 * (this kernel has no device-mapper, so no kpartx). The scripts are Debian's own, symlinked; only
 * common.sh is copied, with VARIANTS_DIR pointing at a private directory: tests never write into /etc,
 * so test files running at the same time cannot pull a variant out from under each other.
 */
export async function debootstrapOs(searchDir: string): Promise<string> {
  const osdir = join(searchDir, "debootstrap");
  const variants = join(searchDir, ".debootstrap-variants");
  await mkdir(osdir, { recursive: true });
  await mkdir(variants, { recursive: true });
  for (const f of [
    "create",
    "export",
    "import",
    "rename",
    "verify",
    "ganeti_api_version",
    "parameters.list",
  ]) {
    await symlink(join(DEBOOTSTRAP, f), join(osdir, f));
  }
  const common = await readFile(join(DEBOOTSTRAP, "common.sh"), "utf8");
  const marker = ": ${VARIANTS_DIR:=";
  if (!common.includes(marker)) throw new Error(`${DEBOOTSTRAP}/common.sh no longer sets VARIANTS_DIR`);
  await writeFile(join(osdir, "common.sh"), common.replace(marker, `VARIANTS_DIR=${variants}\n${marker}`));
  await writeFile(join(osdir, "variants.list"), "default\nbookworm\n");
  await writeFile(join(variants, "bookworm.conf"), 'SUITE="bookworm"\nPARTITION_STYLE="none"\n');
  return osdir;
}
