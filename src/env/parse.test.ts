import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { isGuestosError } from "../errors.js";
import { formatPath } from "./issues.js";
import { isValidHostname } from "./hostname.js";
import { parseInstanceSpec } from "./parse.js";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const base = { name: "web1.example.com", os: "deb+default" };

function assertSpecError(doc: unknown, message: string, hint?: string): void {
  assert.throws(
    () => parseInstanceSpec(doc),
    (err: unknown) => {
      assert.ok(isGuestosError(err, "SPEC_INVALID"), String(err));
      assert.equal(err.message, `Cannot read instance spec: ${message}`);
      if (hint !== undefined) assert.equal(err.hint, hint);
      return true;
    },
  );
}

describe("parseInstanceSpec defaults", () => {
  test("a minimal document", () => {
    const before = Date.now() / 1000;
    const spec = parseInstanceSpec(base);
    const after = Date.now() / 1000;
    assert.match(spec.uuid, UUID);
    assert.match(spec.primaryNode, UUID);
    assert.ok(spec.ctime >= before && spec.ctime <= after);
    assert.equal(spec.mtime, spec.ctime);
    assert.deepStrictEqual(
      { ...spec, uuid: "", primaryNode: "", ctime: 0, mtime: 0 },
      {
        name: "web1.example.com",
        os: "deb+default",
        hypervisor: "fake",
        uuid: "",
        ctime: 0,
        mtime: 0,
        primaryNode: "",
        secondaryNodes: [],
        hvparams: {},
        beparams: {},
        osparams: {},
        osparamsPrivate: {},
        osparamsSecret: {},
        debugLevel: 0,
        disks: [],
        nics: [],
      },
    );
  });

  test("given values are kept", () => {
    const doc = {
      ...base,
      hypervisor: "kvm",
      uuid: "u1",
      ctime: 1700000000.5,
      mtime: 1700000001,
      primaryNode: "n1",
      secondaryNodes: ["n2"],
      hvparams: { acpi: true, boot_order: ["disk"], x: null },
      beparams: { maxmem: 512 },
      osparams: { a: "1" },
      osparamsPrivate: { b: "2" },
      osparamsSecret: { c: "3" },
      debugLevel: 2,
    };
    assert.deepStrictEqual(parseInstanceSpec(doc), { ...doc, disks: [], nics: [] });
  });

  test("disk defaults: uuid, rw, kernel, template from the path, loop", () => {
    const spec = parseInstanceSpec({
      ...base,
      disks: [
        { path: "/dev/sdb", size: 10 },
        { path: "/srv/d.img", size: 20 },
      ],
    });
    const [d0, d1] = spec.disks;
    assert.match(d0!.uuid, UUID);
    assert.notEqual(d0!.uuid, d1!.uuid);
    assert.deepStrictEqual(
      { ...d0!, uuid: "" },
      {
        path: "/dev/sdb",
        uri: null,
        access: "kernel",
        mode: "rw",
        uuid: "",
        name: null,
        size: 10,
        template: "blockdev",
        fileDriver: "loop",
      },
    );
    assert.equal(d1!.template, "file");
  });

  test("a userspace-only disk with an explicit template", () => {
    const spec = parseInstanceSpec({
      ...base,
      disks: [
        {
          uri: "rbd:p/v",
          access: "userspace",
          size: 1,
          template: "rbd",
          uuid: "d",
          name: "root",
          mode: "ro",
        },
      ],
    });
    assert.deepStrictEqual(spec.disks[0], {
      path: null,
      uri: "rbd:p/v",
      access: "userspace",
      mode: "ro",
      uuid: "d",
      name: "root",
      size: 1,
      template: "rbd",
      fileDriver: "loop",
    });
  });

  test("NIC defaults: generated lower-case MAC, bridged, empty link, uuid", () => {
    const spec = parseInstanceSpec({ ...base, nics: [{}, {}] });
    const [n0, n1] = spec.nics;
    assert.match(n0!.mac, /^aa:00:00(:[0-9a-f]{2}){3}$/);
    assert.match(n0!.uuid, UUID);
    assert.notEqual(n0!.uuid, n1!.uuid);
    assert.deepStrictEqual(
      { ...n0!, mac: "", uuid: "" },
      {
        mac: "",
        ip: null,
        mode: "bridged",
        link: "",
        uuid: "",
        name: null,
        network: null,
      },
    );
  });

  test("MACs are normalised to lower case; network defaults", () => {
    const spec = parseInstanceSpec({
      ...base,
      nics: [{ mac: "AA:0B:cC:00:11:FF", link: null, network: { name: "net" } }],
    });
    const nic = spec.nics[0]!;
    assert.equal(nic.mac, "aa:0b:cc:00:11:ff");
    assert.equal(nic.link, "");
    assert.match(nic.network!.uuid, UUID);
    assert.deepStrictEqual(
      { ...nic.network!, uuid: "" },
      {
        name: "net",
        uuid: "",
        subnet: null,
        gateway: null,
        subnet6: null,
        gateway6: null,
        macPrefix: null,
        tags: [],
      },
    );
  });
});

describe("parseInstanceSpec errors", () => {
  test("not an object", () => {
    assertSpecError(5, "document: expected an object, got 5");
    assertSpecError([], "document: expected an object, got a list");
    assertSpecError(null, "document: expected an object, got null");
  });

  test("missing and mistyped fields", () => {
    assertSpecError({}, "name: required field is missing", "Also: os: required field is missing");
    assertSpecError({ name: 5, os: "" }, "name: expected a string, got 5", "Also: os: must not be empty");
    assertSpecError({ ...base, ctime: "x" }, 'ctime: expected a number, got "x"');
    assertSpecError({ ...base, secondaryNodes: "x" }, 'secondaryNodes: expected a list, got "x"');
    assertSpecError({ ...base, nics: [{ link: 5 }] }, "nics[0].link: expected a string, got 5");
    assertSpecError({ ...base, osparams: { a: 1 } }, "osparams.a: expected a string, got 1");
    assertSpecError({ ...base, nics: [{ network: {} }] }, "nics[0].network.name: required field is missing");
  });

  test("unknown fields are named", () => {
    assertSpecError({ ...base, extra: 1 }, "extra: unknown field");
    assertSpecError(
      { ...base, disks: [{ path: "/dev/x", size: 1, bogus: true, mode: "rx" }] },
      'disks[0].mode: must be one of "rw", "ro", got "rx"',
      "Also: disks[0].bogus: unknown field",
    );
    assertSpecError(
      { ...base, nics: [{ network: { name: "n", family: 4 } }] },
      "nics[0].network.family: unknown field",
    );
  });

  test("numbers and sizes", () => {
    // shape errors come first: the cross-field checks only run on a well-formed document
    assertSpecError(
      { ...base, disks: [{ size: 1 }, { path: "/x", size: -1 }] },
      "disks[1].size: must be at least 0, got -1",
    );
    assertSpecError(
      { ...base, disks: [{ path: "/dev/x", size: 1.5 }] },
      "disks[0].size: expected an integer, got 1.5",
    );
    assertSpecError({ ...base, debugLevel: -1 }, "debugLevel: must be at least 0, got -1");
    assertSpecError({ ...base, ctime: Infinity }, "ctime: expected a number, got Infinity");
    assertSpecError(
      { ...base, disks: Array.from({ length: 17 }, () => ({ path: "/dev/x", size: 1 })) },
      "disks: must have at most 16 items, got 17",
    );
    assertSpecError(
      { ...base, nics: Array.from({ length: 9 }, () => ({})) },
      "nics: must have at most 8 items, got 9",
    );
  });

  test("enums", () => {
    assertSpecError(
      { ...base, nics: [{ mode: "nat" }] },
      'nics[0].mode: must be one of "bridged", "routed", "openvswitch", "ext", got "nat"',
    );
    assertSpecError(
      { ...base, disks: [{ path: "/x", size: 1, template: "diskless" }] },
      'disks[0].template: must be one of "file", "sharedfile", "plain", "drbd", "blockdev", "rbd", "ext", "gluster", got "diskless"',
    );
  });

  test("hv and be values must be JSON scalars or lists", () => {
    assertSpecError(
      { ...base, hvparams: { a: { b: 1 } } },
      "hvparams.a: expected a string, number, true/false, null or a list, got an object",
    );
  });

  test("instance name must be a host name", () => {
    for (const name of [
      "-bad",
      "bad-",
      "a..b",
      "a.",
      ".a",
      "a b",
      "a/b",
      "a_b",
      "x".repeat(64),
      `${"a".repeat(63)}.`.repeat(4) + "a",
    ]) {
      assertSpecError(
        { ...base, name },
        `name: ${JSON.stringify(name)} is not a valid host name (dot-separated labels of letters, digits and "-", ` +
          'not starting or ending with "-", at most 63 characters each and 255 in all)',
      );
    }
  });

  test("OS name and variant", () => {
    assertSpecError({ ...base, os: "de b" }, 'os: the OS name "de b" must match ^[a-zA-Z0-9_-]+$');
    assertSpecError({ ...base, os: "../x" }, 'os: the OS name "../x" must match ^[a-zA-Z0-9_-]+$');
    assertSpecError({ ...base, os: "deb\n" }, 'os: the OS name "deb\\n" must match ^[a-zA-Z0-9_-]+$');
    assertSpecError({ ...base, os: "+v" }, 'os: the OS name "" must match ^[a-zA-Z0-9_-]+$');
    assertSpecError({ ...base, os: "deb+a/b" }, 'os: the variant "a/b" must not contain "/" or NUL');
    assertSpecError({ ...base, os: "deb+a\0" }, 'os: the variant "a\\u0000" must not contain "/" or NUL');
    assert.equal(parseInstanceSpec({ ...base, os: "deb++x y" }).os, "deb++x y");
  });

  test("parameter names", () => {
    assertSpecError({ ...base, osparams: { "": "x" } }, 'osparams[""]: the parameter name must not be empty');
    assertSpecError(
      { ...base, osparamsPrivate: { "a=b": "x" } },
      'osparamsPrivate["a=b"]: the name must not contain "=" or NUL',
    );
    assertSpecError(
      { ...base, osparamsSecret: { "a\0": "x" } },
      'osparamsSecret["a\\u0000"]: the name must not contain "=" or NUL',
    );
    assertSpecError(
      { ...base, hvparams: { "a=b": 1 } },
      'hvparams["a=b"]: the name must not contain "=" or NUL',
    );
    assertSpecError(
      JSON.parse('{"name":"a","os":"b","osparams":{"__proto__":"x"}}'),
      'osparams.__proto__: the name "__proto__" is not supported',
    );
    assert.deepStrictEqual(parseInstanceSpec({ ...base, hvparams: { "": 1 } }).hvparams, { "": 1 });
  });

  test("no NUL in values that reach the environment", () => {
    assertSpecError(
      { ...base, osparams: { "a b": "x\0" } },
      'osparams["a b"]: must not contain a NUL character',
    );
    assertSpecError({ ...base, hvparams: { c: "x\0" } }, "hvparams.c: must not contain a NUL character");
    assertSpecError(
      { ...base, disks: [{ path: "/dev/a\0", size: 1 }] },
      "disks[0].path: must not contain a NUL character",
    );
    assertSpecError(
      { ...base, secondaryNodes: ["a\0"] },
      "secondaryNodes[0]: must not contain a NUL character",
    );
    assertSpecError(
      { ...base, nics: [{ network: { name: "n", tags: ["a\0"] } }] },
      "nics[0].network.tags[0]: must not contain a NUL character",
    );
    // list members are rendered with repr(), which escapes NUL
    assert.deepStrictEqual(parseInstanceSpec({ ...base, hvparams: { l: ["\0"] } }).hvparams, { l: ["\0"] });
  });

  test("disk access and template", () => {
    assertSpecError(
      { ...base, disks: [{ path: "/dev/rbd0", access: "userspace", size: 1, template: "rbd" }] },
      "disks[0].uri: userspace access needs a uri",
    );
    assertSpecError(
      { ...base, disks: [{ uri: "rbd:x", access: "userspace", size: 1 }] },
      'disks[0].path: a "file" disk needs a path (set "template" for a userspace-only disk)',
    );
    assertSpecError(
      { ...base, disks: [{ path: null, size: 1, template: "gluster" }] },
      'disks[0].path: a "gluster" disk needs a path (set "template" for a userspace-only disk)',
    );
  });

  test("MAC addresses", () => {
    for (const mac of [
      "zz",
      "aa:00:00:00:00",
      "aa:00:00:00:00:0g",
      "aa-00-00-00-00-00",
      "aa:00:00:00:00:00:00",
    ]) {
      assertSpecError(
        { ...base, nics: [{ mac }] },
        `nics[0].mac: ${JSON.stringify(mac.toLowerCase())} is not a MAC address (six hex pairs, aa:00:00:12:34:56)`,
      );
    }
  });
});

describe("helpers", () => {
  test("formatPath", () => {
    assert.equal(formatPath([]), "document");
    assert.equal(formatPath(["disks", 1, "size"]), "disks[1].size");
    assert.equal(formatPath(["osparams", "a b"]), 'osparams["a b"]');
    assert.equal(formatPath(["hvparams", "root-path"]), "hvparams.root-path");
  });

  test("isValidHostname", () => {
    assert.ok(isValidHostname("a"));
    assert.ok(isValidHostname("web-1.Example.COM"));
    assert.ok(isValidHostname(`${"a".repeat(63)}.b`));
    assert.ok(!isValidHostname(""));
    assert.ok(!isValidHostname(`${"a".repeat(64)}.b`));
  });
});

describe("properties", () => {
  const label = fc.stringMatching(/^[a-z0-9](?:[a-z0-9-]{0,8}[a-z0-9])?$/);
  const validDoc = fc.record(
    {
      name: fc.array(label, { minLength: 1, maxLength: 4 }).map((ls) => ls.join(".")),
      os: fc
        .tuple(
          fc.stringMatching(/^[a-zA-Z0-9_-]{1,10}$/),
          fc.option(fc.string({ maxLength: 5 }).filter((v) => !/[/\0]/.test(v))),
        )
        .map(([n, v]) => (v === null ? n : `${n}+${v}`)),
      hvparams: fc.dictionary(
        fc.string({ minLength: 1 }).filter((k) => !/[=\0]/.test(k) && k !== "__proto__"),
        fc.oneof(
          fc.integer(),
          fc.boolean(),
          fc.constant(null),
          fc.string().filter((s) => !s.includes("\0")),
        ),
      ),
      osparams: fc.dictionary(
        fc.string({ minLength: 1 }).filter((k) => !/[=\0]/.test(k) && k !== "__proto__"),
        fc.string().filter((s) => !s.includes("\0")),
      ),
      disks: fc.array(fc.record({ path: fc.constantFrom("/dev/sda", "/srv/x.img"), size: fc.nat() }), {
        maxLength: 16,
      }),
      nics: fc.array(fc.record({ mac: fc.stringMatching(/^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/) }), {
        maxLength: 8,
      }),
    },
    { requiredKeys: ["name", "os"] },
  );

  test("valid documents parse and keep their values", () => {
    fc.assert(
      fc.property(validDoc, (doc) => {
        const spec = parseInstanceSpec(doc);
        assert.equal(spec.name, doc.name);
        assert.equal(spec.os, doc.os);
        assert.deepStrictEqual(spec.hvparams, { ...doc.hvparams });
        assert.deepStrictEqual(spec.osparams, { ...doc.osparams });
        assert.deepStrictEqual(
          spec.disks.map((d) => [d.path, d.size]),
          (doc.disks ?? []).map((d) => [d.path, d.size]),
        );
        assert.deepStrictEqual(
          spec.nics.map((n) => n.mac),
          (doc.nics ?? []).map((n) => n.mac.toLowerCase()),
        );
      }),
    );
  });

  test("anything else fails with SPEC_INVALID only", () => {
    const mutated = fc.oneof(
      fc.jsonValue(),
      fc.tuple(validDoc, fc.string(), fc.jsonValue()).map(([doc, key, value]) => ({ ...doc, [key]: value })),
      fc.tuple(validDoc, fc.jsonValue()).map(([doc, value]) => ({ ...doc, disks: [value] })),
      fc.tuple(validDoc, fc.jsonValue()).map(([doc, value]) => ({ ...doc, nics: [{ network: value }] })),
    );
    fc.assert(
      fc.property(mutated, (doc) => {
        try {
          parseInstanceSpec(doc);
        } catch (err) {
          assert.ok(isGuestosError(err, "SPEC_INVALID"), String(err));
          assert.match(err.message, /^Cannot read instance spec: \S.*: /);
        }
      }),
    );
  });
});
