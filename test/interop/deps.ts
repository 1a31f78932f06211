import { existsSync } from "node:fs";
import type { TestContext } from "node:test";

/** A file a test needs and the Debian package that provides it. */
export interface Dep {
  path: string;
  pkg: string;
}

/**
 * True when every dependency is present. Otherwise the test fails in CI (CI=true: a missing dependency is
 * a broken setup, never a silent skip) and is skipped elsewhere, naming the packages to install.
 */
export function requireDeps(t: TestContext, deps: Dep[]): boolean {
  const missing = deps.filter((d) => !existsSync(d.path));
  if (missing.length === 0) return true;
  const pkgs = [...new Set(missing.map((d) => d.pkg))].join(" ");
  const why = `missing ${missing.map((d) => d.path).join(", ")}: install with apt-get install --no-install-recommends ${pkgs} (scripts/setup-system.sh does it)`;
  if (process.env.CI === "true") throw new Error(why);
  t.skip(why);
  return false;
}
