import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { parseInstanceSpec } from "../env/parse.js";
import { scriptEnv } from "../env/script.js";
import type { OsDefinition } from "../osdef/types.js";
import { NODE_DISK_TEMPLATES } from "../node/types.js";
import { diskBackend } from "./template.js";

const OS: OsDefinition = {
  name: "deb",
  path: "/srv/ganeti/os/deb",
  apiVersions: [20],
  declaredMax: 20,
  apiVersion: 20,
  scripts: {
    create: "/srv/ganeti/os/deb/create",
    createUntrusted: null,
    export: "/srv/ganeti/os/deb/export",
    import: "/srv/ganeti/os/deb/import",
    rename: "/srv/ganeti/os/deb/rename",
    verify: "/srv/ganeti/os/deb/verify",
  },
  variants: [],
  parameters: [],
  trusted: true,
};

describe("diskBackend", () => {
  test("maps each node template to the engine's disk template and driver", () => {
    assert.deepEqual(diskBackend("file"), {
      envTemplate: "file",
      fileDriver: "loop",
      backendType: "file:loop",
      createsDisks: true,
      adoptsDisks: false,
    });
    assert.deepEqual(diskBackend("blockdev"), {
      envTemplate: "blockdev",
      fileDriver: null,
      backendType: "block",
      createsDisks: false,
      adoptsDisks: true,
    });
    assert.deepEqual(diskBackend("diskless"), {
      envTemplate: null,
      fileDriver: null,
      backendType: null,
      createsDisks: false,
      adoptsDisks: false,
    });
  });

  test("backendType is what the engine puts in DISK_0_BACKEND_TYPE", () => {
    for (const template of NODE_DISK_TEMPLATES) {
      const backend = diskBackend(template);
      if (backend.envTemplate === null) continue;
      const disk = {
        path: template === "file" ? "/var/lib/guestos/file-storage/i1/u.file.disk0" : "/dev/loop3",
        size: 64,
        template: backend.envTemplate,
        ...(backend.fileDriver ? { fileDriver: backend.fileDriver } : {}),
      };
      const spec = parseInstanceSpec({ name: "i1.example.com", os: "deb", disks: [disk] });
      assert.equal(scriptEnv("create", OS, spec).DISK_0_BACKEND_TYPE, backend.backendType, template);
    }
  });

  test("returns a fresh object each time", () => {
    const a = diskBackend("file");
    a.createsDisks = false;
    assert.equal(diskBackend("file").createsDisks, true);
  });
});
