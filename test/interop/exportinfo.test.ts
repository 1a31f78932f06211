import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  buildExportConfig,
  readExportConfig,
  writeIni,
  type BuildExportOptions,
  type ExportInfo,
} from "../../src/backup/index.js";
import { isGuestosError } from "../../src/errors.js";
import type { InstanceView } from "../../src/node/types.js";
import { disk, nic, view } from "../fixtures/views.js";
import { requireGaneti } from "./ganeti.js";
import { askPython } from "./pyoracle.js";

/*
 * config.ini against Ganeti 3.0 itself (test/interop/oracle/export_oracle.py): (a) what
 * backend.FinalizeExport writes for the objects.Instance the master would send for a view, byte for
 * byte; (b) what the node's ExportInfo plus LUInstanceCreate._ReadExportInfo/_ReadExportParams make of
 * a config text, against readExportConfig.
 */

type FinalizeAnswer = { ok: true; config: string } | { ok: false; exception: string; message: string };
type GanetiNic = Partial<Record<"mac" | "ip" | "name" | "network" | "link" | "mode" | "vlan", string | null>>;
type ReadAnswer = { src_path: string } & (
  | {
      ok: true;
      os_type: string | null;
      disks: { size: number; name: string | null }[];
      nics: GanetiNic[];
      tags: string[];
      hypervisor: string | null;
      hvparams: Record<string, string>;
      beparams: Record<string, string | null>;
      osparams: Record<string, string>;
      osparams_private: Record<string, string>;
      old_name: string | null;
      dump_images: (string | false)[];
    }
  | { ok: false; stage: "node" | "master"; exception: string; message: string }
);

const SOURCE = "9e000000-0000-4000-8000-000000000005";
const TIMESTAMP = 1764121997.93;

/** The finalize_export RPC's arguments for an export of `v`, as the oracle takes them. */
function finalizeRequest(v: InstanceView, opts: BuildExportOptions): Record<string, unknown> {
  return {
    kind: "finalize",
    instance: {
      name: v.name,
      os: v.os,
      hypervisor: v.hypervisor,
      uuid: v.uuid,
      primary_node: opts.source,
      // _InstDict sends filled parameters; the oracle passes them through (fill_cluster_defaults false).
      hvparams: v.filled.hvparams,
      beparams: v.filled.beparams,
      osparams: v.filled.osparams,
      osparams_private: opts.privateParams ?? {},
      nics: v.nics.map((n, i) => ({
        mac: n.mac,
        ip: n.ip,
        uuid: n.uuid,
        name: n.name,
        network: n.network,
        ...v.filled.nics[i],
      })),
      fill_cluster_defaults: false,
    },
    tags: v.tags,
    snap_disks: opts.dumps.map((d) => ({
      dev_type: v.diskTemplate === "blockdev" ? "blockdev" : "file",
      uuid: d.dump,
      size: d.size,
      name: d.name,
      iv_name: `disk/${d.index}`,
    })),
    timestamp: opts.timestamp,
  };
}

const dumpsOf = (v: InstanceView): BuildExportOptions["dumps"] =>
  v.disks.map((d) => ({ index: d.index, dump: d.uuid, size: d.size, name: d.name }));

const rich = view({
  name: "db2.example.com",
  os: "debootstrap+bookworm",
  diskTemplate: "blockdev",
  tags: ["production"],
  disks: [disk(0, { name: "root", size: 20480 }), disk(1, { size: 1 })],
  nics: [
    nic(0, { ip: "192.0.2.7", name: "front", mode: "routed", link: "rt1" }),
    nic(1, { network: "net-1", vlan: ".100" }),
  ],
  filled: {
    hvparams: {
      acpi: false,
      boot_order: "cdrom",
      kernel_args: "ro console=ttyS0",
      migration_bandwidth: 32,
      migration_mode: "live",
      migration_port: 8102,
      root_path: null,
      serial_speed: 115200,
      usb_devices: "",
      xen_cmd: "xl",
      cpu_mask: "1:2,3",
    },
    beparams: {
      always_failover: true,
      auto_balance: false,
      maxmem: 4096,
      minmem: 1024,
      spindle_use: 2,
      vcpus: 4,
    },
    osparams: {
      filesystem: "xfs",
      Mirror: "http://deb.debian.org/debian",
      "weird.name-1": "a=b:c [d] #e ;f",
    },
    nics: [
      { mode: "routed", link: "rt1", vlan: "" },
      { mode: "bridged", link: "br0", vlan: ".100" },
    ],
  },
});
const diskless = view({ diskTemplate: "diskless", disks: [], nics: [] });

const CASES: { what: string; view: InstanceView; opts: BuildExportOptions }[] = [
  {
    what: "the fixture instance (file disk, one NIC, kvm)",
    view: view(),
    opts: { timestamp: TIMESTAMP, source: SOURCE, dumps: dumpsOf(view()), privateParams: {} },
  },
  {
    what: "two block devices, a routed NIC and one on a network, globals among the hvparams, private params",
    view: rich,
    opts: {
      timestamp: 1700000000,
      source: SOURCE,
      dumps: dumpsOf(rich),
      privateParams: { password: "s3cret w0rd", "api-key": "k" },
    },
  },
  {
    what: "a diskless instance",
    view: diskless,
    opts: { timestamp: 0, source: SOURCE, dumps: [], privateParams: {} },
  },
];

describe("config.ini written by guestos vs Ganeti's FinalizeExport", () => {
  test("byte for byte (with [os_private], which Ganeti always writes)", async (t) => {
    if (!requireGaneti(t)) return;
    const theirs = await askPython<FinalizeAnswer>(
      "export_oracle.py",
      CASES.map((c) => finalizeRequest(c.view, c.opts)),
    );
    CASES.forEach((c, i) => {
      const want = theirs[i]!;
      assert.ok(want.ok, `${c.what}: ${JSON.stringify(want)}`);
      assert.equal(writeIni(buildExportConfig(c.view, c.opts)), want.config, c.what);
    });
  });

  test("without private params guestos leaves [os_private] out; [guestos] comes last; the rest is Ganeti's", async (t) => {
    if (!requireGaneti(t)) return;
    const c = CASES[1]!;
    const [want] = await askPython<FinalizeAnswer>("export_oracle.py", [
      finalizeRequest(c.view, { ...c.opts, privateParams: {} }),
    ]);
    assert.ok(want?.ok);
    const ganeti = want.config.replace(/\[os_private\]\n\n$/, "");
    const guestos = {
      dumps: c.opts.dumps.map((d) => ({
        index: d.index,
        file: d.dump,
        sha256: "0".repeat(64),
        bytes: 5,
        compression: "none" as const,
      })),
    };
    const ours = writeIni(buildExportConfig(c.view, { ...c.opts, privateParams: undefined, guestos }));
    assert.ok(ours.startsWith(ganeti));
    assert.match(ours.slice(ganeti.length), /^\[guestos\]\nversion = 1\ndisk0_file = /);
  });

  test("several tags: the same set (Ganeti joins a Python set, in no fixed order)", async (t) => {
    if (!requireGaneti(t)) return;
    const v = view({ tags: ["b", "a", "web", "x.y:z"] });
    const opts: BuildExportOptions = {
      timestamp: TIMESTAMP,
      source: SOURCE,
      dumps: dumpsOf(v),
      privateParams: {},
    };
    const [want] = await askPython<FinalizeAnswer>("export_oracle.py", [finalizeRequest(v, opts)]);
    assert.ok(want?.ok);
    const ours = writeIni(buildExportConfig(v, opts));
    const tagsLine = (s: string): string[] => /^tags = (.*)$/m.exec(s)![1]!.split(" ").sort();
    assert.deepEqual(tagsLine(ours), tagsLine(want.config));
    assert.equal(ours.replace(/^tags = .*$/m, ""), want.config.replace(/^tags = .*$/m, ""));
  });

  test("a value with % : Ganeti fails the export, guestos writes %% so that Ganeti reads the value back", async (t) => {
    if (!requireGaneti(t)) return;
    const v = view({
      filled: { ...view().filled, osparams: { quota: "90%", fmt: "%(name)s", multi: "a\nb\n\nc" } },
    });
    const opts: BuildExportOptions = {
      timestamp: TIMESTAMP,
      source: SOURCE,
      dumps: dumpsOf(v),
      privateParams: {},
    };
    const ours = writeIni(buildExportConfig(v, opts));
    const [fin, read] = await askPython<FinalizeAnswer | ReadAnswer>("export_oracle.py", [
      finalizeRequest(v, opts),
      { kind: "read", config: ours },
    ]);
    assert.deepEqual(fin, {
      ...fin,
      ok: false,
      exception: "ValueError",
      message: "invalid interpolation syntax in '90%' at position 2",
    });
    assert.ok(read && "src_path" in read && read.ok);
    assert.deepEqual(read.osparams, { quota: "90%", fmt: "%(name)s", multi: "a\nb\n\nc" });
  });
});

/** Our reading in the shape of what Ganeti's LU ends up with. */
function asGaneti(info: ExportInfo): Omit<Extract<ReadAnswer, { ok: true }>, "src_path" | "ok"> {
  return {
    os_type: info.os,
    disks: info.disks.map((d) => ({ size: d.size, name: d.name })),
    nics: info.nics.map(({ index: _, ...n }) => n),
    tags: info.tags,
    hypervisor: info.hypervisor,
    hvparams: info.hvparams,
    beparams: info.beparams,
    osparams: info.osparams,
    osparams_private: info.osparamsPrivate,
    old_name: info.name,
    dump_images: info.disks.map((_, k) => info.dumps[k] ?? false),
  };
}

/** Ganeti's NIC dicts hold only what was read: absent keys are our nulls. */
function fullNic(n: GanetiNic): Required<GanetiNic> {
  const none = { mac: null, ip: null, name: null, network: null, link: null, mode: null, vlan: null };
  return { ...none, ...n };
}

const H = "[export]\nversion = 0\nos = noop\n\n[instance]\nname = old1\n";
const READ_CASES: { what: string; text: string }[] = [
  { what: "minimal", text: H },
  { what: "no [export]", text: "[instance]\nname = x\n" },
  { what: "no [instance]", text: "[export]\nversion = 0\n" },
  { what: "a parse error", text: "[export]\nversion = 0\nnonsense\n" },
  { what: "no section header", text: "version = 0\n" },
  { what: "a duplicate option", text: `${H}NAME = again\n` },
  { what: "version 1", text: H.replace("version = 0", "version = 1") },
  { what: "version 01", text: H.replace("version = 0", "version = 01") },
  { what: "version +0_0", text: H.replace("version = 0", "version = +0_0") },
  { what: "version x", text: H.replace("version = 0", "version = x") },
  { what: "version None", text: H.replace("version = 0", "version = None") },
  { what: "no version", text: H.replace("version = 0\n", "") },
  { what: "no os", text: H.replace("os = noop\n", "") },
  { what: "os none", text: H.replace("os = noop", "os = NONE") },
  { what: "no name", text: H.replace("name = old1\n", "") },
  {
    what: "disks with a gap, names, dumps",
    text: `${H}disk0_size = 1024\ndisk0_dump = aaa\ndisk0_name = root\ndisk2_size = 20\ndisk2_dump = ccc\ndisk1_dump = bbb\n`,
  },
  { what: "disk size with blanks and underscores", text: `${H}disk0_size =  1_024 \n` },
  { what: "disk size in Arabic-Indic digits", text: `${H}disk0_size = \u0661\u0662\n` },
  { what: "disk size not a number", text: `${H}disk0_size = 1G\n` },
  { what: "disk size none", text: `${H}disk0_size = none\n` },
  { what: "disk16 is beyond MAX_DISKS", text: `${H}disk16_size = 5\n` },
  {
    what: "NICs: bridged, on a network, stop at the first gap",
    text: `${H}nic0_mac = aa:00:00:00:00:01\nnic0_ip = None\nnic0_link = br0\nnic0_mode = bridged\nnic0_vlan = \nnic0_name = None\nnic0_network = None\nnic1_mac = aa:00:00:00:00:02\nnic1_network = net1\nnic3_mac = x\n`,
  },
  { what: "a NIC without vlan and ip", text: `${H}nic0_mac = m\nnic0_link = br0\nnic0_mode = routed\n` },
  { what: "a NIC without mode", text: `${H}nic0_mac = m\nnic0_link = br0\n` },
  {
    what: "a NIC with an empty network",
    text: `${H}nic0_mac = m\nnic0_network = \nnic0_link = l\nnic0_mode = m\n`,
  },
  { what: "tags and hypervisor", text: `${H}tags = a  b\tc\nhypervisor = kvm\n` },
  { what: "hypervisor none", text: `${H}hypervisor = None\n` },
  {
    what: "parameter sections, % escapes and references",
    text: `${H}\n[hypervisor]\nacpi = True\nkernel_args = ro 50%%\n\n[backend]\nmaxmem = 512\nvcpus = 2\n\n[os]\nFS = ext4\nlabel = %(fs)s-root\n\n[os_private]\npw = x%%y\n`,
  },
  { what: "a bare % in [os]", text: `${H}[os]\nq = 90%\n` },
  { what: "[backend] with memory before maxmem", text: `${H}[backend]\nmemory = 64\nmaxmem = 128\n` },
  { what: "[backend] with memory after maxmem", text: `${H}[backend]\nmaxmem = 128\nmemory = 64\n` },
  {
    what: "no [backend]: the old [instance] keys",
    text: `${H}maxmem = 256\nminmem = None\nvcpus = 2\nmemory = 99\nauto_balance = False\n`,
  },
  {
    what: "a DEFAULT section reaches every section",
    text: `[DEFAULT]\ndisk0_size = 7\nshared = yes\n\n${H}\n[hypervisor]\nacpi = True\n`,
  },
  { what: "CRLF line ends", text: H.replaceAll("\n", "\r\n") + "disk0_size = 1\r\n" },
  { what: "a lone CR ends a line too", text: `${H}disk0_size = 1\rdisk0_name = n\n` },
  {
    what: "an unknown [guestos] section is ignored by Ganeti",
    text: `${H}disk0_size = 1\ndisk0_dump = f\n\n[guestos]\nversion = 1\n`,
  },
];

describe("config.ini read by guestos vs Ganeti's import", () => {
  test("the same disks, NICs, parameters, old name and dumps, or the same error", async (t) => {
    if (!requireGaneti(t)) return;
    const written = CASES.map((c) => ({
      what: `written: ${c.what}`,
      text: writeIni(buildExportConfig(c.view, c.opts)),
    }));
    const g = CASES[1]!;
    written.push({
      what: "written with [guestos], without [os_private]",
      text: writeIni(
        buildExportConfig(g.view, {
          ...g.opts,
          privateParams: undefined,
          guestos: {
            dumps: g.opts.dumps.map((d) => ({
              index: d.index,
              file: d.dump,
              sha256: "f".repeat(64),
              bytes: 1,
              compression: "zstd",
            })),
          },
        }),
      ),
    });
    const cases = [...READ_CASES, ...written];
    const theirs = await askPython<ReadAnswer>(
      "export_oracle.py",
      // diskless: the "No disk info specified" check depends on the template, which the export does not decide.
      cases.map((c) => ({ kind: "read", config: c.text, disk_template: "diskless" })),
    );
    cases.forEach((c, i) => {
      const want = theirs[i]!;
      const source = `${want.src_path}/config.ini`;
      let info: ExportInfo;
      try {
        info = readExportConfig(c.text, { source });
      } catch (err) {
        assert.ok(isGuestosError(err), `${c.what}: ${String(err)}`);
        assert.ok(!want.ok, `${c.what}: Ganeti reads it, guestos says ${err.message}`);
        const expected =
          want.stage === "master"
            ? err.message
            : `No export or invalid export found in dir ${want.src_path}: ${err.code === "CONFIG_INI" ? "Error while executing backend function: " : ""}${err.message}`;
        assert.equal(want.message, expected, c.what);
        return;
      }
      assert.ok(want.ok, `${c.what}: Ganeti fails (${JSON.stringify(want)}), guestos reads it`);
      const ours = asGaneti(info);
      assert.deepEqual(
        { ...ours, nics: ours.nics.map(fullNic) },
        {
          os_type: want.os_type,
          disks: want.disks,
          nics: want.nics.map(fullNic),
          tags: want.tags,
          hypervisor: want.hypervisor,
          hvparams: want.hvparams,
          beparams: want.beparams,
          osparams: want.osparams,
          osparams_private: want.osparams_private,
          old_name: want.old_name,
          dump_images: want.dump_images,
        },
        c.what,
      );
    });
  });

  test("where guestos is stricter: dumps that are not plain file names", async (t) => {
    if (!requireGaneti(t)) return;
    const texts = ["sub/dump", "../escape", "none"].map((d) => `${H}disk0_size = 1\ndisk0_dump = ${d}\n`);
    const theirs = await askPython<ReadAnswer>(
      "export_oracle.py",
      texts.map((x) => ({ kind: "read", config: x })),
    );
    // Ganeti: a subdirectory is accepted, leaving the directory and None fail (ValueError, TypeError).
    assert.deepEqual(
      theirs.map((a) => (a.ok ? a.dump_images : a.exception)),
      [["sub/dump"], "ValueError", "TypeError"],
    );
    for (const x of texts) {
      assert.throws(
        () => readExportConfig(x, { source: "/e/config.ini" }),
        (err: unknown) => isGuestosError(err, "EXPORT_BAD_DUMP"),
      );
    }
  });
});
