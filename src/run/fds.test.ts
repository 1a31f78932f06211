import { execFileSync } from "node:child_process";
import fs from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, test } from "node:test";
import assert from "node:assert/strict";

const FDS_MODULE = fileURLToPath(new URL("./fds.ts", import.meta.url));

describe("closeInheritedFds", () => {
  test("closes what the process inherited without close-on-exec, once, and spares its own fds", () => {
    // Opened with O_CLOEXEC (as Node does), so fdinfo in the child shows the flag although the fd does not
    // have it. Slot 40: Node marks low fds (< 20 here) close-on-exec at start-up by itself.
    const inherited = fs.openSync("/dev/null", "r");
    const stdio: ("ignore" | "pipe" | "inherit" | number)[] = ["ignore", "pipe", "inherit"];
    while (stdio.length < 40) stdio.push("ignore");
    stdio.push(inherited);
    const code = `
      import fs from "node:fs";
      const { closeInheritedFds, inheritableFds } = await import(${JSON.stringify(FDS_MODULE)});
      const own = fs.openSync("/dev/null", "r"); // Node opens with O_CLOEXEC
      const before = inheritableFds();
      const closed = closeInheritedFds();
      const again = closeInheritedFds();
      const open = (fd) => { try { fs.fstatSync(fd); return true; } catch { return false; } };
      console.log(JSON.stringify({ before, closed, again, fd40: open(40), own: open(own) }));
    `;
    try {
      const out = execFileSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", code], {
        stdio,
      });
      const res = JSON.parse(out.toString()) as Record<string, unknown>;
      assert.ok((res.before as number[]).includes(40), JSON.stringify(res));
      assert.ok((res.closed as number[]).includes(40));
      assert.deepEqual(res.again, []);
      assert.equal(res.fd40, false);
      assert.equal(res.own, true);
    } finally {
      fs.closeSync(inherited);
    }
  });
});
