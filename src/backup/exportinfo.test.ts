import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { view, disk, nic } from "../../test/fixtures/views.js";
import { isGuestosError } from "../errors.js";
import type { InstanceView } from "../node/types.js";
import { writeIni } from "./configini.js";
import { buildExportConfig, type BuildExportOptions } from "./exportinfo.js";
import { readExportConfig, type ExportInfo } from "./exportread.js";

/**
 * config.ini exactly as Ganeti 3.0's backend.FinalizeExport wrote it for a xen-pvm instance with two
 * LVM snapshots (test/interop/oracle/export_oracle.py, which runs that function); the interop tests
 * compare guestos with Ganeti on many more.
 */
const GANETI_GOLDEN = [
  "[export]",
  "version = 0",
  "timestamp = 1606402992",
  "source = 0c7e59c4-ef06-4b0d-a3a5-33c1b7a0d1f2",
  "os = debootstrap+default",
  "compression = none",
  "",
  "[instance]",
  "name = mail.example.org",
  "maxmem = 2048",
  "minmem = 1024",
  "memory = 2048",
  "vcpus = 2",
  "disk_template = plain",
  "hypervisor = xen-pvm",
  "tags = mail",
  "nic0_mac = aa:00:00:35:8f:0a",
  "nic0_ip = 198.51.100.25",
  "nic0_network = None",
  "nic0_name = None",
  "nic0_link = xen-br0",
  "nic0_mode = bridged",
  "nic0_vlan = ",
  "nic_count = 1",
  "disk0_ivname = disk/0",
  "disk0_dump = 3f1d2c3b-0c9a-4f6e-8d7b-2a1e5f4c3b2a",
  "disk0_size = 10240",
  "disk0_name = None",
  "disk1_ivname = disk/1",
  "disk1_dump = 7a6b5c4d-3e2f-4a1b-9c8d-7e6f5a4b3c2d",
  "disk1_size = 51200",
  "disk1_name = None",
  "disk_count = 2",
  "",
  "[hypervisor]",
  "blockdev_prefix = sd",
  "bootloader_args = ",
  "bootloader_path = ",
  "cpu_cap = 0",
  "cpu_mask = all",
  "cpu_weight = 256",
  "cpuid = ",
  "initrd_path = ",
  "kernel_args = ro console=hvc0",
  "kernel_path = /boot/vmlinuz-3-xenU",
  "reboot_behavior = reboot",
  "root_path = /dev/xvda1",
  "soundhw = ",
  "use_bootloader = False",
  "vif_script = ",
  "",
  "[backend]",
  "always_failover = False",
  "auto_balance = True",
  "maxmem = 2048",
  "minmem = 1024",
  "spindle_use = 1",
  "vcpus = 2",
  "",
  "[os]",
  "filesystem = ext4",
  "",
  "[os_private]",
  "root_password = hunter2",
  "",
  "",
].join("\n");

const SHA = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
const source = "/srv/guestos/export/x/config.ini";
const read = (text: string | Uint8Array): ExportInfo => readExportConfig(text, { source });
const fails = (fn: () => unknown, code: string, message: string | RegExp): void => {
  assert.throws(fn, (err: unknown) => {
    assert.ok(isGuestosError(err, code), `${String(err)} (${(err as { code?: string }).code})`);
    if (typeof message === "string") assert.equal(err.message, message);
    else assert.match(err.message, message);
    return true;
  });
};

const dumpsOf = (v: InstanceView): BuildExportOptions["dumps"] =>
  v.disks.map((d) => ({ index: d.index, dump: d.uuid, size: d.size, name: d.name }));
const opts = (v: InstanceView, over: Partial<BuildExportOptions> = {}): BuildExportOptions => ({
  timestamp: 1764121997.93,
  source: "9e000000-0000-4000-8000-000000000005",
  dumps: dumpsOf(v),
  ...over,
});
const build = (v: InstanceView, over: Partial<BuildExportOptions> = {}): string =>
  writeIni(buildExportConfig(v, opts(v, over)));

describe("readExportConfig", () => {
  test("a config.ini written by Ganeti 3.0", () => {
    assert.deepEqual(read(GANETI_GOLDEN), {
      os: "debootstrap+default",
      name: "mail.example.org",
      timestamp: 1606402992,
      source: "0c7e59c4-ef06-4b0d-a3a5-33c1b7a0d1f2",
      compression: "none",
      diskTemplate: "plain",
      disks: [
        { index: 0, size: 10240, name: null, dump: "3f1d2c3b-0c9a-4f6e-8d7b-2a1e5f4c3b2a" },
        { index: 1, size: 51200, name: null, dump: "7a6b5c4d-3e2f-4a1b-9c8d-7e6f5a4b3c2d" },
      ],
      dumps: ["3f1d2c3b-0c9a-4f6e-8d7b-2a1e5f4c3b2a", "7a6b5c4d-3e2f-4a1b-9c8d-7e6f5a4b3c2d"],
      nics: [
        {
          index: 0,
          mac: "aa:00:00:35:8f:0a",
          ip: "198.51.100.25",
          name: null,
          network: null,
          link: "xen-br0",
          mode: "bridged",
          vlan: "",
        },
      ],
      tags: ["mail"],
      hypervisor: "xen-pvm",
      hvparams: {
        blockdev_prefix: "sd",
        bootloader_args: "",
        bootloader_path: "",
        cpu_cap: "0",
        cpu_mask: "all",
        cpu_weight: "256",
        cpuid: "",
        initrd_path: "",
        kernel_args: "ro console=hvc0",
        kernel_path: "/boot/vmlinuz-3-xenU",
        reboot_behavior: "reboot",
        root_path: "/dev/xvda1",
        soundhw: "",
        use_bootloader: "False",
        vif_script: "",
      },
      beparams: {
        always_failover: "False",
        auto_balance: "True",
        maxmem: "2048",
        minmem: "1024",
        spindle_use: "1",
        vcpus: "2",
      },
      osparams: { filesystem: "ext4" },
      osparamsPrivate: { root_password: "hunter2" },
      guestos: null,
    });
  });

  test("bytes: UTF-8 only; a BOM is text (Ganeti's utf-8 codec keeps it); CRLF and CR end lines", () => {
    assert.equal(read(Buffer.from(GANETI_GOLDEN)).name, "mail.example.org");
    fails(() => read(Buffer.from([0x5b, 0xff, 0x5d])), "CONFIG_INI", `Cannot read ${source}: not UTF-8 text`);
    fails(
      () => read(Buffer.from(`\ufeff${GANETI_GOLDEN}`)),
      "CONFIG_INI",
      `File contains no section headers.\nfile: '${source}', line: 1\n'\\ufeff[export]\\n'`,
    );
    assert.deepEqual(read(GANETI_GOLDEN.replaceAll("\n", "\r\n")), read(GANETI_GOLDEN));
    assert.deepEqual(read(GANETI_GOLDEN.replaceAll("\n", "\r")), read(GANETI_GOLDEN));
  });

  test("Ganeti's errors", () => {
    fails(
      () => read("[instance]\nname = x\n"),
      "EXPORT_CORRUPT",
      "Export info file doesn't have the required fields",
    );
    fails(
      () => read("[export]\nversion = 0\n"),
      "EXPORT_CORRUPT",
      "Export info file doesn't have the required fields",
    );
    const v = (x: string): string => GANETI_GOLDEN.replace("version = 0", x);
    fails(() => read(v("version = 1")), "EXPORT_VERSION", "Wrong export version 1 (wanted 0)");
    fails(() => read(v("version = 00_1")), "EXPORT_VERSION", "Wrong export version 00_1 (wanted 0)");
    fails(
      () => read(v("version = zero")),
      "EXPORT_VERSION",
      "invalid literal for int() with base 10: 'zero'",
    );
    fails(
      () => read(v("version = None")),
      "EXPORT_VERSION",
      "int() argument must be a string, a bytes-like object or a real number, not 'NoneType'",
    );
    assert.equal(read(v("version = +0")).name, "mail.example.org");
    fails(
      () => read(GANETI_GOLDEN.replace("os = debootstrap+default\n", "")),
      "CONFIG_INI",
      "No option 'os' in section: 'export'",
    );
    fails(
      () => read(GANETI_GOLDEN.replace("nic0_mode = bridged\n", "")),
      "CONFIG_INI",
      "No option 'nic0_mode' in section: 'instance'",
    );
    fails(
      () => read(GANETI_GOLDEN.replace("disk1_size = 51200", "disk1_size = 50G")),
      "EXPORT_CONFIG",
      "invalid literal for int() with base 10: '50G'",
    );
    fails(
      () => read(GANETI_GOLDEN.replace("filesystem = ext4", "filesystem = 90%")),
      "CONFIG_INI",
      "'%' must be followed by '%' or '(', found: '%'",
    );
  });

  test("Ganeti's reading rules: none, optional options, gaps, networks, DEFAULT, old exports", () => {
    const H = "[export]\nversion = 0\nos = NONE\n\n[instance]\nname = old\n";
    const info = read(
      `[DEFAULT]\nshared = 1\n\n${H}disk0_size = 1\ndisk0_dump = a\ndisk2_size = 3\ndisk2_name = two\ndisk2_dump = c\n` +
        "nic0_mac = m0\nnic0_network = net\nnic1_mac = m1\nnic1_link = br1\nnic1_mode = routed\nnic3_mac = m3\n" +
        "tags = \t a   b \nmaxmem = 64\nvcpus = None\n[hypervisor]\nx = %(shared)s%%\n",
    );
    assert.equal(info.os, null);
    // Disks are read by index, dumps paired by position (disk2's data is not imported into the second disk).
    assert.deepEqual(info.disks, [
      { index: 0, size: 1, name: null, dump: "a" },
      { index: 2, size: 3, name: "two", dump: null },
    ]);
    assert.deepEqual(info.dumps, ["a", null, "c"]);
    assert.deepEqual(
      info.nics.map((n) => [n.mac, n.network, n.link, n.mode, n.vlan]),
      [
        ["m0", "net", null, null, null],
        ["m1", null, "br1", "routed", null],
      ],
    );
    assert.deepEqual(info.tags, ["a", "b"]);
    assert.equal(info.hypervisor, null);
    assert.deepEqual(info.hvparams, { shared: "1", x: "1%" });
    // No [backend]: the BES_PARAMETERS found in [instance], "none" as null ("memory" is not one of them).
    assert.deepEqual(info.beparams, { maxmem: "64", vcpus: null });
  });

  test("[backend]'s old memory fills maxmem and minmem unless they came first", () => {
    const H = "[export]\nversion = 0\nos = noop\n\n[instance]\nname = old\n\n[backend]\n";
    assert.deepEqual(read(`${H}memory = 64\nmaxmem = 128\n`).beparams, {
      memory: "64",
      maxmem: "64",
      minmem: "64",
    });
    assert.deepEqual(read(`${H}maxmem = 128\nmemory = 64\n`).beparams, {
      maxmem: "128",
      memory: "64",
      minmem: "64",
    });
  });

  test("dumps must be plain file names", () => {
    for (const [dump, why] of [
      ["../../etc/shadow", "it contains a slash"],
      ["/dev/sda", "it contains a slash"],
      ["sub/x", "it contains a slash"],
      ["..", "it names a directory"],
      ["a\0b", "it contains a NUL character"],
    ]) {
      fails(
        () =>
          read(
            GANETI_GOLDEN.replace(
              "disk1_dump = 7a6b5c4d-3e2f-4a1b-9c8d-7e6f5a4b3c2d",
              `disk1_dump = ${dump}`,
            ),
          ),
        "EXPORT_BAD_DUMP",
        `Cannot read dump ${JSON.stringify(dump)}: ${why}`,
      );
    }
    fails(
      () =>
        read(GANETI_GOLDEN.replace("disk1_dump = 7a6b5c4d-3e2f-4a1b-9c8d-7e6f5a4b3c2d", "disk1_dump = None")),
      "EXPORT_BAD_DUMP",
      'Cannot read dump "None": "none" means no value in config.ini',
    );
    fails(
      () => read(GANETI_GOLDEN.replace("disk1_dump = 7a6b5c4d-3e2f-4a1b-9c8d-7e6f5a4b3c2d", "disk1_dump =")),
      "EXPORT_BAD_DUMP",
      'Cannot read dump "": the name is empty',
    );
  });

  test("[guestos]: read and checked", () => {
    const g = (body: string): string => `${GANETI_GOLDEN}[guestos]\n${body}`;
    const ok = g(
      `version = 1\ndisk0_file = f0\ndisk0_sha256 = ${SHA}\ndisk0_bytes = 10737418240\ndisk0_compression = zstd\nfuture_key = x\n`,
    );
    assert.deepEqual(read(ok).guestos, {
      version: 1,
      dumps: [{ index: 0, file: "f0", sha256: SHA, bytes: 10737418240, compression: "zstd" }],
    });
    const bad = (body: string, message: string): void =>
      fails(() => read(g(body)), "EXPORT_GUESTOS", message);
    const at = `in [guestos] of ${source}`;
    bad("disk0_file = f\n", `Cannot read "version" ${at}: the option is missing`);
    bad(
      "version = 2\n",
      `Cannot read "version" ${at}: version "2" is not supported (this guestos reads version 1)`,
    );
    bad(`version = 1\ndisk3_sha256 = ${SHA}\n`, `Cannot read "disk3_file" ${at}: the option is missing`);
    const d0 = (f: string, s: string, b: string, c: string): string =>
      `version = 1\ndisk0_file = ${f}\ndisk0_sha256 = ${s}\ndisk0_bytes = ${b}\ndisk0_compression = ${c}\n`;
    bad(
      d0("f", SHA.toUpperCase(), "1", "none"),
      `Cannot read "disk0_sha256" ${at}: "${SHA.toUpperCase()}" is not a SHA-256 digest (64 lower-case hex digits)`,
    );
    bad(
      d0("f", SHA, "-1", "none"),
      `Cannot read "disk0_bytes" ${at}: "-1" is not a byte count (a decimal integer below 2^53)`,
    );
    bad(
      d0("f", SHA, "9007199254740993", "none"),
      `Cannot read "disk0_bytes" ${at}: "9007199254740993" is not a byte count (a decimal integer below 2^53)`,
    );
    bad(
      d0("f", SHA, "1", "xz"),
      `Cannot read "disk0_compression" ${at}: "xz" is not one of none, gzip, zstd`,
    );
    fails(
      () => read(g(d0("../f", SHA, "1", "gzip"))),
      "EXPORT_BAD_DUMP",
      'Cannot read dump "../f": it contains a slash',
    );
  });
});

describe("buildExportConfig", () => {
  const guestos = (
    v: InstanceView,
    compression: "none" | "gzip" | "zstd" = "none",
  ): BuildExportOptions["guestos"] => ({
    dumps: v.disks.map((d) => ({
      index: d.index,
      file: d.uuid,
      sha256: SHA,
      bytes: 10737418240,
      compression,
    })),
  });

  test("Ganeti's layout, then [guestos]; no [os_private] without private parameters", () => {
    const v = view({ tags: ["web"] });
    assert.equal(
      build(v, { guestos: guestos(v) }),
      [
        "[export]",
        "version = 0",
        "timestamp = 1764121997",
        "source = 9e000000-0000-4000-8000-000000000005",
        "os = debootstrap+default",
        "compression = none",
        "",
        "[instance]",
        "name = web1.example.com",
        "maxmem = 512",
        "minmem = 512",
        "memory = 512",
        "vcpus = 1",
        "disk_template = file",
        "hypervisor = kvm",
        "tags = web",
        "nic0_mac = aa:00:00:11:22:30",
        "nic0_ip = None",
        "nic0_network = None",
        "nic0_name = None",
        "nic0_link = br0",
        "nic0_mode = bridged",
        "nic0_vlan = ",
        "nic_count = 1",
        "disk0_ivname = disk/0",
        "disk0_dump = 8c1f0000-0000-4000-8000-000000000000",
        "disk0_size = 10240",
        "disk0_name = None",
        "disk_count = 1",
        "",
        // migration_port is one of the cluster-only HVC_GLOBALS.
        "[hypervisor]",
        "acpi = True",
        "boot_order = disk",
        "kernel_path = ",
        "cpu_cores = 0",
        "",
        "[backend]",
        "always_failover = False",
        "auto_balance = True",
        "maxmem = 512",
        "minmem = 512",
        "spindle_use = 1",
        "vcpus = 1",
        "",
        "[os]",
        "filesystem = ext4",
        "mirror = Debian's mirror",
        "",
        "[guestos]",
        "version = 1",
        "disk0_file = 8c1f0000-0000-4000-8000-000000000000",
        `disk0_sha256 = ${SHA}`,
        "disk0_bytes = 10737418240",
        "disk0_compression = none",
        "",
        "",
      ].join("\n"),
    );
  });

  test("private parameters only when given (then always the section, as Ganeti)", () => {
    const v = view();
    assert.doesNotMatch(build(v), /os_private/);
    assert.match(build(v, { privateParams: {} }), /\n\[os_private\]\n\n$/);
    assert.match(build(v, { privateParams: { Pass: "x" } }), /\n\[os_private\]\npass = x\n\n$/);
  });

  test("what guestos writes reads back as it was given", () => {
    const v = view({
      tags: ["a", "b"],
      disks: [disk(0, { name: "root" }), disk(1, { size: 1 })],
      nics: [nic(0, { ip: "192.0.2.1", name: "eth0", network: "n1" }), nic(1)],
      filled: {
        ...view().filled,
        osparams: { quota: "90%", fmt: "%(name)s", multi: "line1\nline2" },
        nics: [
          { mode: "bridged", link: "br0", vlan: "" },
          { mode: "openvswitch", link: "ovs0", vlan: ".3:4" },
        ],
      },
    });
    const info = read(build(v, { privateParams: { pw: "100%%" }, guestos: guestos(v, "gzip") }));
    assert.equal(info.compression, "gzip");
    assert.deepEqual(info.osparams, { quota: "90%", fmt: "%(name)s", multi: "line1\nline2" });
    assert.deepEqual(info.osparamsPrivate, { pw: "100%%" });
    assert.deepEqual(info.tags, ["a", "b"]);
    assert.deepEqual(
      info.disks.map((d) => [d.size, d.name, d.dump]),
      [
        [10240, "root", v.disks[0]!.uuid],
        [1, null, v.disks[1]!.uuid],
      ],
    );
    assert.deepEqual(info.nics, [
      {
        index: 0,
        mac: v.nics[0]!.mac,
        ip: "192.0.2.1",
        name: "eth0",
        network: "n1",
        link: null,
        mode: null,
        vlan: null,
      },
      {
        index: 1,
        mac: v.nics[1]!.mac,
        ip: null,
        name: null,
        network: null,
        link: "ovs0",
        mode: "openvswitch",
        vlan: ".3:4",
      },
    ]);
    assert.deepEqual(
      info.guestos?.dumps.map((d) => d.compression),
      ["gzip", "gzip"],
    );
  });

  test("[export] compression names the dumps' compression; diskless exports", () => {
    const v = view({ disks: [disk(0), disk(1)] });
    const mixed = guestos(v)!;
    mixed.dumps[1]!.compression = "zstd";
    assert.match(build(v, { guestos: guestos(v, "zstd") }), /\ncompression = zstd\n/);
    assert.match(build(v, { guestos: mixed }), /\ncompression = mixed\n/);
    const none = view({ diskTemplate: "diskless", disks: [] });
    assert.match(build(none), /\ndisk_template = diskless\n(?:.*\n)*disk_count = 0\n/);
  });

  test("refuses what would not read back the same", () => {
    const withOs = (osparams: Record<string, string>): InstanceView =>
      view({ filled: { ...view().filled, osparams } });
    const refused = (
      v: InstanceView,
      message: string | RegExp,
      over: Partial<BuildExportOptions> = {},
    ): void => fails(() => buildExportConfig(v, opts(v, over)), "EXPORT_CONFIG", message);
    refused(
      withOs({ f: " padded" }),
      `Cannot write "f" to [os] of config.ini: " padded" would not read back as written`,
    );
    refused(withOs({ f: "a\n# b" }), /^Cannot write "f" to \[os\]/);
    refused(withOs({ f: "a\rb" }), /^Cannot write "f" to \[os\]/);
    refused(withOs({ "a=b": "x" }), /^Cannot write "a=b" to \[os\]/);
    refused(withOs({ "#x": "x" }), /^Cannot write "#x" to \[os\]/);
    refused(withOs({ "": "x" }), /^Cannot write "" to \[os\]/);
    refused(
      withOs({ Mirror: "a", mirror: "b" }),
      `Cannot write "mirror" to [os] of config.ini: the name is given twice (option names ignore case)`,
    );
    refused(
      view({ tags: ["two words"] }),
      `Cannot write "tags" to [instance] of config.ini: the tag "two words" is empty or holds blanks`,
    );
    refused(
      view({ filled: { ...view().filled, beparams: { ...view().filled.beparams, maxmem: "512M" } } }),
      `Cannot write "maxmem" to [instance] of config.ini: %d format: a real number is required, not str`,
    );
    refused(view(), /^Cannot write "disk0_dump" to \[instance\] of config\.ini: bad or repeated disk index/, {
      dumps: [dumpsOf(view())[0]!, dumpsOf(view())[0]!],
    });
    refused(view(), /^Cannot write "disk0_sha256" to \[guestos\]/, {
      guestos: { dumps: [{ index: 0, file: "f", sha256: "abc", bytes: 1, compression: "none" }] },
    });
    fails(
      () =>
        buildExportConfig(view(), opts(view(), { dumps: [{ index: 0, dump: "../x", size: 1, name: null }] })),
      "EXPORT_BAD_DUMP",
      'Cannot write dump "../x": it contains a slash',
    );
  });

  test("Python's %d of the integer fields: bools are 1/0, floats truncate", () => {
    const v = view({ filled: { ...view().filled, beparams: { maxmem: 1023.9, minmem: true, vcpus: -1.5 } } });
    assert.match(build(v, { timestamp: 1e21 }), /timestamp = 1000000000000000000000\n/);
    assert.match(build(v), /\nmaxmem = 1023\nminmem = 1\nmemory = 1023\nvcpus = -1\n/);
    assert.match(build(v), /\n\[backend\]\nmaxmem = 1023.9\nminmem = True\nvcpus = -1.5\n/);
  });
});
