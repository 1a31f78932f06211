/** Benchmarks: `npm run bench [catalog|osrun|nodeops|backup]`. Each prints a ratio against a baseline measured in the same run. */
import { benchBackup } from "./backup.js";
import { benchCatalog } from "./catalog.js";
import { benchNodeOps } from "./nodeops.js";
import { benchOsRun } from "./osrun.js";

const all: Record<string, () => Promise<void>> = {
  catalog: benchCatalog,
  osrun: benchOsRun,
  nodeops: benchNodeOps,
  backup: benchBackup,
};
const picked = process.argv.slice(2);
for (const name of picked.length > 0 ? picked : Object.keys(all)) {
  const fn = all[name];
  if (!fn) throw new Error(`unknown benchmark ${name}; known: ${Object.keys(all).join(", ")}`);
  await fn();
}
