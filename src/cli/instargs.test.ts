import { execFileSync } from "node:child_process";
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { GuestosError } from "../errors.js";
import { requireDeps } from "../../test/interop/deps.js";
import type { NodeDiskTemplate } from "../node/types.js";
import {
  checkHvParams,
  checkOsParamsRepeated,
  parseBackendParams,
  parseDiskOptions,
  parseHvOption,
  parseNicOptions,
  parseOsParams,
  parseTags,
  splitIdentKeyVal,
  validateTag,
  type DiskRequest,
  type NicRequest,
} from "./instargs.js";

const err = (code: string, message: string) => (e: unknown) => {
  assert.ok(e instanceof GuestosError, String(e));
  assert.equal(e.message, message);
  assert.equal(e.code, code);
  return true;
};

const disk = (index: number, size: number | null, more: Partial<DiskRequest> = {}): DiskRequest => ({
  index,
  size,
  adopt: null,
  mode: "rw",
  name: null,
  ...more,
});

const nic = (index: number, more: Partial<NicRequest> = {}): NicRequest => ({
  index,
  mac: "auto",
  ip: null,
  mode: null,
  link: null,
  vlan: null,
  name: null,
  network: null,
  ...more,
});

const file = { template: "file" as const };

describe("splitIdentKeyVal", () => {
  test("IDENT[:k=v,...], no_IDENT, -IDENT", () => {
    assert.deepEqual(splitIdentKeyVal("--disk", "0:size=1G,mode=ro"), ["0", { size: "1G", mode: "ro" }]);
    assert.deepEqual(splitIdentKeyVal("--disk", "0"), ["0", {}]);
    assert.deepEqual(splitIdentKeyVal("--disk", "0:"), ["0", {}]);
    assert.deepEqual(splitIdentKeyVal("-H", "kvm:acpi,no_vnc_tls,-cpu_mask"), [
      "kvm",
      { acpi: true, vnc_tls: false, cpu_mask: null },
    ]);
    assert.deepEqual(splitIdentKeyVal("-H", "no_kvm"), ["kvm", false]);
    assert.deepEqual(splitIdentKeyVal("-H", "-kvm"), ["kvm", null]);
    assert.deepEqual(splitIdentKeyVal("-H", "-"), ["", null]);
    // "-" before a digit (also a superscript one, as Python's isdigit says) is part of the ident.
    assert.deepEqual(splitIdentKeyVal("--disk", "-1:size=1"), ["-1", { size: "1" }]);
    assert.deepEqual(splitIdentKeyVal("--disk", "-\u00b2"), ["-\u00b2", {}]);
  });

  test("Ganeti's errors", () => {
    assert.throws(
      () => splitIdentKeyVal("--disk", "no_0:size=1"),
      err("BAD_OPTION", "Cannot pass options when removing parameter groups: no_0:size=1"),
    );
    assert.throws(
      () => splitIdentKeyVal("-H", "-kvm:acpi"),
      err("BAD_OPTION", "Cannot pass options when removing parameter groups: -kvm:acpi"),
    );
    assert.throws(
      () => splitIdentKeyVal("--disk", "0:size=1,size=2"),
      err("BAD_OPTION", "Duplicate key 'size' in option --disk"),
    );
  });
});

describe("parseDiskOptions", () => {
  test("sizes, modes, names, -s", () => {
    assert.deepEqual(parseDiskOptions(["0:size=1G,mode=ro,name=a", "1:size=1001"], file), [
      disk(0, 1024, { mode: "ro", name: "a" }),
      disk(1, 1004),
    ]);
    assert.deepEqual(parseDiskOptions([], { template: "file", sizeOption: "2g" }), [disk(0, 2048)]);
    assert.deepEqual(parseDiskOptions(["0:size=1G,name=NONE", "1:size=1G,name=none"], file), [
      disk(0, 1024),
      disk(1, 1024),
    ]);
    assert.deepEqual(parseDiskOptions(["+0:size=0"], { template: undefined }), [disk(0, 0)]);
    // dev_type is a known disk key that Ganeti ignores.
    assert.deepEqual(parseDiskOptions(["0:size=4,dev_type=plain"], file), [disk(0, 4)]);
  });

  test("a repeated index: both are checked, the last one wins", () => {
    assert.deepEqual(parseDiskOptions(["0:size=1G", "0:size=2G"], file), [disk(0, 2048)]);
    assert.throws(
      () => parseDiskOptions(["0:foo=1", "0:size=2G"], file),
      err("BAD_DISK", "Missing size or adoption source for disk 0"),
    );
  });

  test("adoption (blockdev only)", () => {
    assert.deepEqual(
      parseDiskOptions(["0:adopt=/dev/vg/a", "1:adopt=/dev/vg/b,mode=ro,name=x"], { template: "blockdev" }),
      [disk(0, null, { adopt: "/dev/vg/a" }), disk(1, null, { adopt: "/dev/vg/b", mode: "ro", name: "x" })],
    );
    assert.throws(
      () => parseDiskOptions(["0:adopt=/dev/x"], file),
      err("BAD_DISK", "Disk adoption is not supported for the 'file' disk template"),
    );
    assert.throws(
      () => parseDiskOptions(["0:size=1G"], { template: "blockdev" }),
      err("BAD_DISK", "Disk template blockdev requires disk adoption, but no 'adopt' parameter given"),
    );
    assert.throws(
      () => parseDiskOptions(["0:adopt=/dev/a", "1:size=1G"], { template: "blockdev" }),
      err("BAD_DISK", "Either all disks are adopted or none is"),
    );
    assert.throws(
      () => parseDiskOptions(["0:size=1G,adopt=/dev/x"], { template: "blockdev" }),
      err("BAD_DISK", "Only one of 'size' and 'adopt' allowed (disk 0)"),
    );
    assert.throws(
      () => parseDiskOptions(["0:adopt=/dev/x,spindles=1"], { template: "blockdev" }),
      err("BAD_DISK", "spindles is not a valid option when adopting a disk"),
    );
  });

  test("the messages of gnt-instance add", () => {
    const cases: [
      string[],
      { template: NodeDiskTemplate | undefined; sizeOption?: string },
      string,
      string,
    ][] = [
      [
        ["a:size=1G"],
        file,
        "BAD_DISK",
        "Invalid disk index passed: invalid literal for int() with base 10: 'a'",
      ],
      [["-x"], file, "BAD_DISK", "Invalid disk index passed: invalid literal for int() with base 10: 'x'"],
      [["0:size=1G", "2:size=1G"], file, "BAD_DISK", "Missing disk size"],
      [["1"], file, "BAD_DISK", "Missing size or adoption source for disk 1"],
      [["no_0"], file, "BAD_DISK", "Invalid disk/0 value: expected dict, got False"],
      [["-0x"], file, "BAD_DISK", "Invalid disk index passed: invalid literal for int() with base 10: '-0x'"],
      [
        ["0:size=1.2.3"],
        file,
        "BAD_DISK",
        "Invalid disk size for disk 0: could not convert string to float: '1.2.3'",
      ],
      [["0:size=1Q"], file, "BAD_UNIT", "Unknown unit: Q"],
      [["0:size"], file, "BAD_UNIT", "Invalid format"],
      [["0:size= 1G"], file, "BAD_UNIT", "Invalid format"],
      [["0:size=1G,mode=rx"], file, "BAD_DISK", "Invalid disk access mode 'rx'"],
      [["0:size=1G,mode="], file, "BAD_DISK", "Parameter 'OP_INSTANCE_CREATE.disks' fails validation"],
      [["0:size=1G,no_name"], file, "BAD_DISK", "Parameter 'OP_INSTANCE_CREATE.disks' fails validation"],
      [["0:size=1G,name=3"], file, "BAD_DISK", "Invalid name '3'. Purely numeric disk names are not allowed"],
      [
        ["0:size=1G,name= +3_0 "],
        file,
        "BAD_DISK",
        "Invalid name ' +3_0 '. Purely numeric disk names are not allowed",
      ],
      [["0:size=1G,name=a", "1:size=1G,name=a"], file, "BAD_DISK", "disk name 'a' already used"],
      [["0:size=1G,foo=bar"], file, "PARAM_UNKNOWN", "Unknown parameter 'foo'"],
      [
        ["0:size=1G"],
        { template: "file", sizeOption: "1G" },
        "BAD_DISK",
        "Please use either the '--disk' or '-s' option",
      ],
      [["0:size=1G"], { template: "diskless" }, "BAD_DISK", "Diskless instance but disk information passed"],
      [
        [],
        { template: "diskless", sizeOption: "0" },
        "BAD_DISK",
        "Diskless instance but disk information passed",
      ],
      [[], file, "BAD_DISK", "No disk information specified"],
      // `not opts.sd_size`: a zero -s is no disk information.
      [[], { template: "file", sizeOption: "0" }, "BAD_DISK", "No disk information specified"],
      [[], { template: "file", sizeOption: "1Q" }, "BAD_UNIT", "option -s: Unknown unit: Q"],
      [
        [],
        { template: "file", sizeOption: "1.2.3" },
        "BAD_UNIT",
        "option -s: could not convert string to float: '1.2.3'",
      ],
      [["0:size=1G,size=2G"], file, "BAD_OPTION", "Duplicate key 'size' in option --disk"],
      // guestos's own refusals: no LVM or ext storage, no negative index, at most 16 disks.
      [
        ["0:size=1G,vg=xenvg"],
        file,
        "BAD_DISK",
        'Cannot use disk parameter "vg": the file template does not support it',
      ],
      [
        ["0:size=1G,spindles=2"],
        file,
        "BAD_DISK",
        'Cannot use disk parameter "spindles": the file template does not support it',
      ],
      [
        ["0:adopt=/dev/x,access=userspace"],
        { template: "blockdev" },
        "BAD_DISK",
        'Cannot use disk parameter "access": the blockdev template does not support it',
      ],
      [
        ["0:size=1G,provider=x,metavg=y"],
        file,
        "BAD_DISK",
        'Cannot use disk parameter "provider": the file template does not support it',
      ],
      [["0:size=1G,foo=1,vg=y"], file, "PARAM_UNKNOWN", "Unknown parameter 'foo'"],
      [["-1:size=1G"], file, "BAD_DISK", 'Cannot use disk index "-1": it must not be negative'],
      [["16:size=1G"], file, "BAD_DISK", "Instance has too many disks (16), cannot add more"],
    ];
    for (const [values, opts, code, message] of cases) {
      assert.throws(() => parseDiskOptions(values, opts), err(code, message), JSON.stringify(values));
    }
    assert.deepEqual(parseDiskOptions([], { template: "diskless" }), []);
    assert.equal(
      parseDiskOptions(["15:size=1G", ...Array.from({ length: 15 }, (_, i) => `${i}:size=1`)], file).length,
      16,
    );
  });
});

describe("parseNicOptions", () => {
  test("one automatic NIC by default, none with noNics (unless --net is given)", () => {
    assert.deepEqual(parseNicOptions([]), [nic(0)]);
    assert.deepEqual(parseNicOptions([], { noNics: true }), []);
    assert.deepEqual(parseNicOptions(["0:ip=192.0.2.1"], { noNics: true }), [nic(0, { ip: "192.0.2.1" })]);
  });

  test("values, normalised as Ganeti stores them", () => {
    assert.deepEqual(
      parseNicOptions([
        "0:mac=AA:00:00:00:00:0F,vlan=5,name=n1,link=br1,mode=bridged",
        "2:ip=2001:db8::1,mac=generate",
      ]),
      [
        nic(0, { mac: "aa:00:00:00:00:0f", vlan: ".5", name: "n1", link: "br1", mode: "bridged" }),
        nic(1),
        nic(2, { ip: "2001:db8::1", mac: "generate" }),
      ],
    );
    assert.deepEqual(parseNicOptions(["0:ip=pool,network=net1"]), [nic(0, { ip: "pool", network: "net1" })]);
    assert.deepEqual(parseNicOptions(["0:ip=NONE,network=None,name=none,link=,vlan="]), [nic(0)]);
    assert.deepEqual(parseNicOptions(["0:mode=routed,ip=192.0.2.9"]), [
      nic(0, { mode: "routed", ip: "192.0.2.9" }),
    ]);
    // mode=auto stores the default mode, as Ganeti does.
    assert.deepEqual(
      parseNicOptions(["0:mode=auto"], { nicDefaults: { mode: "openvswitch", link: "ovs0" } }),
      [nic(0, { mode: "openvswitch" })],
    );
    assert.deepEqual(parseNicOptions(["0:vlan=.5:6", "1:vlan=:7:8", "2:vlan=\u00b2"]), [
      nic(0, { vlan: ".5:6" }),
      nic(1, { vlan: ":7:8" }),
      nic(2, { vlan: ".\u00b2" }),
    ]);
    // Ganeti accepts and ignores the old `bridge` key.
    assert.deepEqual(parseNicOptions(["0:bridge=br7"]), [nic(0)]);
  });

  test("the messages of gnt-instance add", () => {
    const cases: [string[], string, string][] = [
      [["a"], "BAD_NIC", "Invalid NIC index passed: invalid literal for int() with base 10: 'a'"],
      [["no_0"], "BAD_NIC", "Invalid nic/0 value: expected dict, got False"],
      [["0:foo=1"], "PARAM_UNKNOWN", "Unknown parameter 'foo'"],
      [["0:mac"], "PARAM_TYPE", "'mac' (value True) is not a valid string"],
      [["0:-link"], "PARAM_TYPE", "'link' (value None) is not a valid string"],
      [["0:ip=1.2.3"], "BAD_NIC", "Invalid IP address '1.2.3'"],
      [["0:ip=01.2.3.4"], "BAD_NIC", "Invalid IP address '01.2.3.4'"],
      [["0:ip=fe80::1%eth0"], "BAD_NIC", "Invalid IP address 'fe80::1%eth0'"],
      [["0:ip="], "BAD_NIC", "Invalid IP address ''"],
      [["0:ip=pool"], "BAD_NIC", "if ip=pool, parameter network must be passed too"],
      [["0:mode=routed"], "BAD_NIC", "Routed nic mode requires an ip address if not attached to a network"],
      [
        ["0:network=n1,mode=routed"],
        "BAD_NIC",
        "If network is given, no mode or link is allowed to be passed",
      ],
      [["0:network=n1,link="], "BAD_NIC", "If network is given, no mode or link is allowed to be passed"],
      [["0:mac=zz"], "BAD_NIC", "Invalid MAC address 'zz'"],
      [["0:mac=AUTO"], "BAD_NIC", "Invalid MAC address 'AUTO'"],
      [["0:mac=aa:00:00:00:00:01\n"], "BAD_NIC", "Invalid MAC address 'aa:00:00:00:00:01\n'"],
      [
        ["0:mac=aa:00:00:00:00:01", "1:mac=AA:00:00:00:00:01"],
        "BAD_NIC",
        "MAC address aa:00:00:00:00:01 already in use in cluster",
      ],
      [["0:name=3"], "BAD_NIC", "Invalid name '3'. Purely numeric NIC names are not allowed"],
      [["0:name=a", "1:name=a"], "BAD_NIC", "NIC name 'a' already used"],
      [["0:vlan=x"], "BAD_NIC", "Specified VLAN parameter is invalid : x"],
      [["0:vlan=."], "BAD_NIC", "Specified VLAN parameter is invalid : ."],
      [["0:vlan=:5:"], "BAD_NIC", "Specified VLAN parameter is invalid : :5:"],
      [["0:mode=foo"], "BAD_NIC", "Invalid NIC mode 'foo'"],
      [
        ["0:ip=auto"],
        "BAD_NIC",
        'Cannot use ip "auto": guestos does not resolve instance names, give the address',
      ],
      [["-1:ip=none"], "BAD_NIC", 'Cannot use NIC index "-1": it must not be negative'],
      [["8"], "BAD_NIC", "Instance has too many network interfaces (8), cannot add more"],
    ];
    for (const [values, code, message] of cases) {
      assert.throws(() => parseNicOptions(values), err(code, message), JSON.stringify(values));
    }
    assert.throws(
      () => parseNicOptions([], { nicDefaults: { mode: "bridged", link: "" } }),
      err("BAD_NIC", "Missing bridged NIC link"),
    );
  });
});

describe("parseBackendParams", () => {
  test("typed; on add memory sets maxmem and minmem", () => {
    assert.deepEqual(parseBackendParams("memory=512,vcpus=2,auto_balance=False,always_failover"), {
      maxmem: 512,
      minmem: 512,
      vcpus: 2,
      auto_balance: false,
      always_failover: true,
    });
    assert.deepEqual(parseBackendParams("maxmem=4g,memory=1g"), { maxmem: 1024, minmem: 1024 });
    assert.deepEqual(parseBackendParams(""), {});
  });

  test("on modify: any case of default, memory kept for the job", () => {
    assert.deepEqual(parseBackendParams("maxmem=DEFAULT,memory=1g,vcpus=Default", { modify: true }), {
      maxmem: "default",
      memory: 1024,
      vcpus: "default",
    });
  });

  test("Ganeti's messages", () => {
    assert.throws(() => parseBackendParams("foo=1"), err("PARAM_UNKNOWN", "Unknown parameter 'foo'"));
    assert.throws(
      () => parseBackendParams("maxmem=abc"),
      err("PARAM_TYPE", "'maxmem' (value abc) is not a valid size. error: Invalid format"),
    );
    assert.throws(
      () => parseBackendParams("auto_balance=yes"),
      err("PARAM_TYPE", "'auto_balance' (value yes) is not a valid boolean"),
    );
    assert.throws(
      () => parseBackendParams("-vcpus", { modify: true }),
      err("PARAM_TYPE", "'vcpus' (value None) is not a valid integer"),
    );
    assert.throws(
      () => parseBackendParams("vcpus=1,vcpus=2"),
      err("BAD_OPTION", "Duplicate key 'vcpus' in option -B"),
    );
    assert.throws(
      () => parseBackendParams("vcpus=default"),
      err("PARAM_TYPE", "'vcpus' (value default) is not a valid integer"),
    );
  });
});

describe("parseHvOption", () => {
  test("add: HV[:k=v,...]", () => {
    assert.deepEqual(
      parseHvOption("kvm:acpi=false,kernel_path=/vmlinuz,usb_devices=a b", { withHypervisor: true }),
      {
        hypervisor: "kvm",
        params: { acpi: false, kernel_path: "/vmlinuz", usb_devices: "a,b" },
      },
    );
    assert.deepEqual(parseHvOption("fake", { withHypervisor: true }), { hypervisor: "fake", params: {} });
  });

  test("modify: k=v,... with default", () => {
    assert.deepEqual(parseHvOption("acpi=DEFAULT,kernel_path=/k", { withHypervisor: false }), {
      hypervisor: null,
      params: { acpi: "default", kernel_path: "/k" },
    });
  });

  test("Ganeti's messages", () => {
    const add = { withHypervisor: true };
    assert.throws(
      () => parseHvOption("foo:acpi=true", add),
      err("BAD_HYPERVISOR", "Parameter 'OP_INSTANCE_CREATE.hypervisor' fails validation"),
    );
    assert.throws(() => parseHvOption("no_kvm", add), err("PARAM_TYPE", "Expected dictionary, got 'False'"));
    assert.throws(() => parseHvOption("-kvm", add), err("PARAM_TYPE", "Expected dictionary, got 'None'"));
    assert.throws(
      () => parseHvOption("kvm:acpi=yes", add),
      err("PARAM_TYPE", "'acpi' (value yes) is not a valid boolean"),
    );
    assert.throws(() => parseHvOption("kvm:nope=1", add), err("PARAM_UNKNOWN", "Unknown parameter 'nope'"));
    assert.throws(
      () => parseHvOption("fake:acpi=true", add),
      err("PARAM_UNSUPPORTED", "Parameter 'acpi' is not supported"),
    );
    const globalMsg = (keys: string) =>
      "The following hypervisor parameters are global and cannot be customized at instance level, please modify" +
      ` them at cluster level: ${keys}`;
    assert.throws(
      () => parseHvOption("kvm:migration_port=5", add),
      err("PARAM_GLOBAL", globalMsg("migration_port")),
    );
    assert.throws(
      () => parseHvOption("migration_port=5", { withHypervisor: false }),
      err("PARAM_GLOBAL", globalMsg("migration_port")),
    );
    assert.throws(
      () => parseHvOption("xen-pvm:xen_cmd=xl,migration_port=1", add),
      err("PARAM_GLOBAL", globalMsg("migration_port, xen_cmd")),
    );
    assert.throws(
      () => parseHvOption("kvm:acpi=true", { withHypervisor: false }),
      err("PARAM_UNKNOWN", "Unknown parameter 'kvm:acpi'"),
    );
    assert.throws(
      () => checkHvParams("lxc", { acpi: true }),
      err("PARAM_UNSUPPORTED", "Parameter 'acpi' is not supported"),
    );
  });
});

describe("OS parameters", () => {
  test("strings only, as guestos os validate -O", () => {
    assert.deepEqual(parseOsParams("a=1,b=x\\,y,c=", "-O"), { a: "1", b: "x,y", c: "" });
    assert.throws(
      () => parseOsParams("a", "-O"),
      err("BAD_OPTION", "Missing value for key 'a' in option -O"),
    );
    assert.throws(
      () => parseOsParams("a=1,a=2", "--os-parameters-private"),
      err("BAD_OPTION", "Duplicate key 'a' in option --os-parameters-private"),
    );
  });

  test("a key in two of public, private and secret", () => {
    checkOsParamsRepeated([{ a: "1" }, { b: "2" }, {}]);
    assert.throws(
      () => checkOsParamsRepeated([{ z: "1", a: "1" }, { a: "2", z: "3" }, { a: "4" }]),
      err("OS_PARAMS_REPEATED", "OS parameters repeated multiple times: a, z"),
    );
  });
});

describe("tags", () => {
  test("split on commas, checked, duplicates merged", () => {
    assert.deepEqual(parseTags("a,b,a"), ["a", "b"]);
    assert.deepEqual(parseTags("web:prod@dc1/rack+2*x.y-z_w,日本,ü"), [
      "web:prod@dc1/rack+2*x.y-z_w",
      "日本",
      "ü",
    ]);
    assert.deepEqual(parseTags("x".repeat(128)), ["x".repeat(128)]);
  });

  test("Ganeti's messages", () => {
    assert.throws(
      () => parseTags("a,,b"),
      err("BAD_TAG", "Parameter 'OP_INSTANCE_CREATE.tags' fails validation"),
    );
    assert.throws(
      () => parseTags(""),
      err("BAD_TAG", "Parameter 'OP_INSTANCE_CREATE.tags' fails validation"),
    );
    assert.throws(() => parseTags("x".repeat(129)), err("BAD_TAG", "Tag too long (>128 characters)"));
    assert.throws(() => parseTags("a b"), err("BAD_TAG", "Tag contains invalid characters"));
    assert.throws(() => parseTags("a\n"), err("BAD_TAG", "Tag contains invalid characters"));
    assert.throws(() => validateTag(""), err("BAD_TAG", "Tags cannot be empty"));
    // Length counts code points.
    validateTag("😀".repeat(0) + "é".repeat(128));
    const many = Array.from({ length: 4097 }, (_, i) => `t${i}`).join(",");
    assert.throws(() => parseTags(many), err("BAD_TAG", "Too many tags"));
    assert.equal(parseTags(Array.from({ length: 4096 }, (_, i) => `t${i}`).join(",")).length, 4096);
  });
});

// Ganeti's own path for `gnt-instance add` and `modify`: its option parser and GenericInstanceCreate /
// SetInstanceParams (job submission captured), then the job's checks in LUInstanceCreate's order against a
// cluster with Ganeti's defaults (ComputeNics, ComputeDisks, ComputeFullBeParams, the hypervisor's checks).
const ORACLE = String.raw`
import json, logging, optparse, sys
sys.path.insert(0, "/usr/share/ganeti/default")
logging.disable(logging.CRITICAL)
from ganeti import cli, constants as C, errors, hypervisor, objects, utils
from ganeti.client import gnt_instance
from ganeti.cmdlib import instance_create, instance_storage, instance_utils
from ganeti.cmdlib.common import CheckParamsNotGlobal

class Fail(Exception):
  pass

CAPTURED = {}
def submit(op, opts, cl=None, feedback_fn=None, reporter=None):
  CAPTURED["op"] = op
cli.SubmitOrSend = submit
gnt_instance.SubmitOrSend = submit

def parser(cmd):
  p = optparse.OptionParser(option_list=gnt_instance.commands[cmd][2] + cli.COMMON_OPTS)
  p.disable_interspersed_args()
  p.set_defaults(disks=[], nics=[])
  def error(msg):
    raise Fail(msg)
  p.error = error
  return p

class LU(object):
  def __init__(self, op):
    self.op = op
  def _CheckDiskTemplateValid(self):
    pass

class Cfg(object):
  def __init__(self):
    self.macs = set()
  def ReserveMAC(self, mac, ec_id):
    if mac in self.macs:
      raise errors.ReservationError("duplicate")
    self.macs.add(mac)
  def LookupNetwork(self, net):
    return net or None
  def GenerateUniqueID(self, ec_id):
    return "uuid"

CLUSTER = objects.Cluster(
  hvparams={hv: dict(C.HVC_DEFAULTS[hv]) for hv in C.HYPER_TYPES},
  beparams={C.PP_DEFAULT: dict(C.BEC_DEFAULTS)},
  nicparams={C.PP_DEFAULT: dict(C.NICC_DEFAULTS)}, os_hvp={}, osparams={})

def add(argv):
  opts, args = parser("add").parse_args(argv + ["inst1.example.com"])
  cli.GenericInstanceCreate(C.INSTANCE_CREATE, opts, args)
  op = CAPTURED["op"]
  op.Validate(True)
  op.disk_template = op.disk_template or C.DT_FILE
  lu = LU(op)
  for nic in op.nics:
    utils.ForceDictType(nic, C.INIC_PARAMS_TYPES)
  utils.ValidateDeviceNames("NIC", op.nics)
  instance_create.LUInstanceCreate._CheckVLANArguments(lu)
  instance_create.LUInstanceCreate._CheckDiskArguments(lu)
  for tag in op.tags:
    objects.TaggableObject.ValidateTag(tag)
  hv = op.hypervisor or C.HT_FAKE
  utils.ForceDictType(op.hvparams, C.HVS_PARAMETER_TYPES)
  hypervisor.GetHypervisorClass(hv).CheckParameterSyntax(
    CLUSTER.SimpleFillHV(hv, op.os_type, op.hvparams))
  CheckParamsNotGlobal(op.hvparams, C.HVC_GLOBALS, "hypervisor", "instance", "cluster")
  instance_utils.ComputeFullBeParams(op, CLUSTER)
  nics = instance_utils.ComputeNics(op, CLUSTER, None, Cfg(), "ec")
  disks = instance_storage.ComputeDisks(op.disks, op.disk_template, "xenvg")
  return {
    "disks": [{"size": None if "adopt" in d else d["size"], "adopt": d.get("adopt"),
               "mode": d["mode"], "name": d["name"]} for d in disks],
    "nics": [{"mac": n.mac, "ip": n.ip, "mode": n.nicparams.get("mode"),
              "link": n.nicparams.get("link"), "vlan": n.nicparams.get("vlan"),
              "name": n.name, "network": n.network} for n in nics],
    "beparams": op.beparams, "hypervisor": op.hypervisor, "hvparams": op.hvparams,
    "tags": sorted(set(op.tags))}

def modify(argv):
  opts, args = parser("modify").parse_args(argv + ["inst1.example.com"])
  gnt_instance.SetInstanceParams(opts, args)
  op = CAPTURED["op"]
  if op.hvparams:
    CheckParamsNotGlobal(op.hvparams, C.HVC_GLOBALS, "hypervisor", "instance", "cluster")
  return {"beparams": op.beparams, "hvparams": op.hvparams}

KNOWN = (errors.OpPrereqError, errors.TypeEnforcementError, errors.ParameterError,
         errors.UnitParseError, errors.HypervisorError, errors.ConfigurationError,
         errors.TagError, Fail)

def answer(req):
  CAPTURED.clear()
  try:
    return {"ok": globals()[req["kind"]](req["argv"])}
  except KNOWN as err:
    return {"error": err.args[0] if isinstance(err, errors.OpPrereqError) else str(err)}
  except Exception as err:
    return {"crash": "%s: %s" % (type(err).__name__, err)}

print(json.dumps([answer(r) for r in json.load(sys.stdin)]))
`;

const ORACLE_DEPS = [
  { path: "/usr/bin/python3", pkg: "python3" },
  { path: "/usr/share/ganeti/default/ganeti/client/gnt_instance.py", pkg: "ganeti-3.0" },
];

type Answer = { ok: Record<string, unknown> } | { error: string } | { crash: string };

/** One add or modify, as options; `differs` is guestos's message where it deliberately departs from Ganeti. */
interface OracleCase {
  kind: "add" | "modify";
  t?: NodeDiskTemplate;
  disk?: string[];
  s?: string;
  net?: string[];
  noNics?: boolean;
  B?: string;
  H?: string;
  tags?: string;
  differs?: string;
}

function argv(c: OracleCase): string[] {
  const a = c.kind === "add" ? ["-o", "noop", "--no-name-check", "--no-ip-check"] : [];
  if (c.t) a.push("-t", c.t);
  for (const d of c.disk ?? []) a.push("--disk", d);
  if (c.s !== undefined) a.push("-s", c.s);
  for (const n of c.net ?? []) a.push("--net", n);
  if (c.noNics) a.push("--no-nics");
  if (c.B !== undefined) a.push("-B", c.B);
  if (c.H !== undefined) a.push("-H", c.H);
  if (c.tags !== undefined) a.push("--tags", c.tags);
  return a;
}

function ourAnswer(c: OracleCase): Answer {
  try {
    if (c.kind === "modify") {
      return {
        ok: {
          beparams: c.B === undefined ? {} : parseBackendParams(c.B, { modify: true }),
          hvparams: c.H === undefined ? {} : parseHvOption(c.H, { withHypervisor: false }).params,
        },
      };
    }
    const nics = parseNicOptions(c.net ?? [], { noNics: c.noNics ?? false });
    const disks = parseDiskOptions(c.disk ?? [], {
      template: c.t,
      ...(c.s === undefined ? {} : { sizeOption: c.s }),
    });
    const tags = c.tags === undefined ? [] : parseTags(c.tags).sort();
    const beparams = c.B === undefined ? {} : parseBackendParams(c.B);
    const hv =
      c.H === undefined ? { hypervisor: null, params: {} } : parseHvOption(c.H, { withHypervisor: true });
    return {
      ok: {
        disks: disks.map(({ index: _, ...d }) => d),
        nics: nics.map(({ index: _, ...n }) => n),
        beparams,
        hypervisor: hv.hypervisor,
        hvparams: hv.params,
        tags,
      },
    };
  } catch (e) {
    assert.ok(e instanceof GuestosError, String(e));
    return { error: e.message };
  }
}

const ORACLE_CASES: OracleCase[] = [
  // --disk and -s
  { kind: "add", disk: ["0:size=1G,mode=ro,name=a", "1:size=1001"] },
  { kind: "add", disk: ["0:size=1G", "2:size=1G"] },
  { kind: "add", disk: ["0:size=1G", "0:size=2G"] },
  { kind: "add", disk: ["0:foo=1", "0:size=2G"] },
  { kind: "add", disk: ["0:size=1G", "1"] },
  { kind: "add", disk: ["a:size=1G"] },
  { kind: "add", disk: ["-x"] },
  { kind: "add", disk: [" +1 :size=1G", "0:size=4"] },
  { kind: "add", disk: ["0:size=1.2.3"] },
  { kind: "add", disk: ["0:size=1Q"] },
  { kind: "add", disk: ["0:size"] },
  { kind: "add", disk: ["0:size=1g\n"] },
  { kind: "add", disk: ["no_0"] },
  { kind: "add", disk: ["no_0:size=1"] },
  { kind: "add", disk: ["0:size=1G,size=2G"] },
  { kind: "add", disk: ["0:size=1G,mode="] },
  { kind: "add", disk: ["0:size=1G,-name"] },
  { kind: "add", disk: ["0:size=1G,mode=rx"] },
  { kind: "add", disk: ["0:size=1G,name=3"] },
  { kind: "add", disk: ["0:size=1G,name=\u0663"] },
  { kind: "add", disk: ["0:size=1G,name=a", "1:size=1G,name=a"] },
  { kind: "add", disk: ["0:size=1G,name=none", "1:size=1G,name=NONE"] },
  { kind: "add", disk: ["0:size=1G,foo=bar"] },
  { kind: "add", disk: ["0:size=1G,foo=1,vg=y"] },
  { kind: "add", disk: ["0:size=1G,dev_type=plain"] },
  { kind: "add", disk: ["0:size=0"] },
  { kind: "add", disk: ["0:size=1G,adopt=/dev/x"] },
  { kind: "add", t: "blockdev", disk: ["0:adopt=/dev/x,spindles=1"] },
  { kind: "add", t: "file", disk: ["0:adopt=/dev/x"] },
  { kind: "add", t: "blockdev", disk: ["0:size=1G"] },
  { kind: "add", t: "blockdev", disk: ["0:adopt=/dev/a", "1:size=1G"] },
  { kind: "add", t: "blockdev", disk: ["0:adopt=/dev/a", "1:adopt=/dev/b,mode=ro,name=x"] },
  { kind: "add", disk: ["0:size=1G"], s: "1G" },
  { kind: "add", t: "diskless", s: "1G" },
  { kind: "add", t: "diskless", disk: ["0:size=1G"] },
  { kind: "add", t: "diskless" },
  { kind: "add", t: "file" },
  { kind: "add", s: "0" },
  { kind: "add", s: "1Q" },
  { kind: "add", s: "2g" },
  {
    kind: "add",
    disk: ["0:size=1G,vg=xenvg"],
    differs: 'Cannot use disk parameter "vg": the file template does not support it',
  },
  { kind: "add", disk: ["-1:size=1G"], differs: 'Cannot use disk index "-1": it must not be negative' },
  { kind: "add", disk: ["16:size=1G"], differs: "Instance has too many disks (16), cannot add more" },
  {
    kind: "add",
    disk: ["0:size=1G,spindles=x"],
    differs: 'Cannot use disk parameter "spindles": the file template does not support it',
  },
  // --net
  { kind: "add", disk: ["0:size=1G"] },
  { kind: "add", disk: ["0:size=1G"], noNics: true },
  { kind: "add", disk: ["0:size=1G"], net: ["0:mac=AA:00:00:00:00:0F,vlan=5,name=n1,link=br1,mode=bridged"] },
  { kind: "add", disk: ["0:size=1G"], net: ["2:ip=2001:db8::1,mac=generate"], noNics: true },
  { kind: "add", disk: ["0:size=1G"], net: ["0:ip=pool"] },
  { kind: "add", disk: ["0:size=1G"], net: ["0:ip=pool,network=net1"] },
  { kind: "add", disk: ["0:size=1G"], net: ["0:network=net1,mode=routed"] },
  { kind: "add", disk: ["0:size=1G"], net: ["0:network=net1,link="] },
  { kind: "add", disk: ["0:size=1G"], net: ["0:network=none,link=br0,ip=None"] },
  { kind: "add", disk: ["0:size=1G"], net: ["0:network="] },
  { kind: "add", disk: ["0:size=1G"], net: ["0:mode=routed"] },
  { kind: "add", disk: ["0:size=1G"], net: ["0:mode=routed,ip=192.0.2.1"] },
  { kind: "add", disk: ["0:size=1G"], net: ["0:mode=auto"] },
  { kind: "add", disk: ["0:size=1G"], net: ["0:mode=pool"] },
  { kind: "add", disk: ["0:size=1G"], net: ["0:mode="] },
  { kind: "add", disk: ["0:size=1G"], net: ["0:mode=foo"] },
  { kind: "add", disk: ["0:size=1G"], net: ["0:ip=1.2.3"] },
  { kind: "add", disk: ["0:size=1G"], net: ["0:ip=01.2.3.4"] },
  { kind: "add", disk: ["0:size=1G"], net: ["0:ip=::ffff:1.2.3.4"] },
  { kind: "add", disk: ["0:size=1G"], net: ["0:ip=fe80::1%eth0"] },
  { kind: "add", disk: ["0:size=1G"], net: ["0:ip=1::2::3"] },
  { kind: "add", disk: ["0:size=1G"], net: ["0:ip="] },
  { kind: "add", disk: ["0:size=1G"], net: ["0:mac=zz"] },
  { kind: "add", disk: ["0:size=1G"], net: ["0:mac=AUTO"] },
  { kind: "add", disk: ["0:size=1G"], net: ["0:mac=aa:00:00:00:00:01", "1:mac=AA:00:00:00:00:01"] },
  { kind: "add", disk: ["0:size=1G"], net: ["0:foo=1"] },
  { kind: "add", disk: ["0:size=1G"], net: ["0:mac"] },
  { kind: "add", disk: ["0:size=1G"], net: ["0:-link"] },
  { kind: "add", disk: ["0:size=1G"], net: ["0:no_name"] },
  { kind: "add", disk: ["0:size=1G"], net: ["0:name=3"] },
  { kind: "add", disk: ["0:size=1G"], net: ["0:name=a", "1:name=a"] },
  { kind: "add", disk: ["0:size=1G"], net: ["0:vlan=.5:6", "1:vlan=:7", "2:vlan=\u00b2", "3:vlan=.8"] },
  { kind: "add", disk: ["0:size=1G"], net: ["0:vlan=x"] },
  { kind: "add", disk: ["0:size=1G"], net: ["0:vlan=."] },
  { kind: "add", disk: ["0:size=1G"], net: ["0:vlan=:5:"] },
  { kind: "add", disk: ["0:size=1G"], net: ["a"] },
  { kind: "add", disk: ["0:size=1G"], net: ["no_0"] },
  { kind: "add", disk: ["0:size=1G"], net: ["0:bridge=br7"] },
  {
    kind: "add",
    disk: ["0:size=1G"],
    net: ["0:ip=auto"],
    differs: 'Cannot use ip "auto": guestos does not resolve instance names, give the address',
  },
  {
    kind: "add",
    disk: ["0:size=1G"],
    net: ["8"],
    differs: "Instance has too many network interfaces (8), cannot add more",
  },
  // -B, -H, --tags
  { kind: "add", disk: ["0:size=1G"], B: "memory=512,vcpus=2,auto_balance=False,always_failover" },
  { kind: "add", disk: ["0:size=1G"], B: "maxmem=4g,memory=1g,spindle_use=2" },
  { kind: "add", disk: ["0:size=1G"], B: "maxmem=abc" },
  { kind: "add", disk: ["0:size=1G"], B: "maxmem=1k" },
  { kind: "add", disk: ["0:size=1G"], B: "foo=1" },
  { kind: "add", disk: ["0:size=1G"], B: "auto_balance=yes" },
  { kind: "add", disk: ["0:size=1G"], B: "vcpus" },
  { kind: "add", disk: ["0:size=1G"], B: "vcpus=x" },
  { kind: "add", disk: ["0:size=1G"], H: "kvm:acpi=false,kernel_path=/vmlinuz,usb_devices=a b" },
  { kind: "add", disk: ["0:size=1G"], H: "kvm" },
  { kind: "add", disk: ["0:size=1G"], H: "fake:acpi=true" },
  { kind: "add", disk: ["0:size=1G"], H: "kvm:xen_cmd=xl" },
  { kind: "add", disk: ["0:size=1G"], H: "kvm:migration_port=5" },
  { kind: "add", disk: ["0:size=1G"], H: "foo:acpi=true" },
  { kind: "add", disk: ["0:size=1G"], H: "no_kvm" },
  { kind: "add", disk: ["0:size=1G"], H: "-kvm" },
  { kind: "add", disk: ["0:size=1G"], H: "kvm:acpi=yes" },
  { kind: "add", disk: ["0:size=1G"], H: "kvm:nope=1" },
  { kind: "add", disk: ["0:size=1G"], H: "kvm:acpi=true,acpi=false" },
  { kind: "add", disk: ["0:size=1G"], tags: "a,b,a" },
  { kind: "add", disk: ["0:size=1G"], tags: "web:prod@dc1/rack+2*x.y-z_w,日本,ü" },
  { kind: "add", disk: ["0:size=1G"], tags: "" },
  { kind: "add", disk: ["0:size=1G"], tags: "a,,b" },
  { kind: "add", disk: ["0:size=1G"], tags: "x".repeat(129) },
  { kind: "add", disk: ["0:size=1G"], tags: "a b" },
  { kind: "add", disk: ["0:size=1G"], tags: "a\n", differs: "Tag contains invalid characters" },
  { kind: "modify", B: "maxmem=DEFAULT,memory=1g,vcpus=Default" },
  { kind: "modify", B: "-vcpus" },
  { kind: "modify", B: "auto_balance=false,always_failover" },
  { kind: "modify", B: "foo=1" },
  { kind: "modify", H: "acpi=Default,usb_devices=a b,kernel_path=/k" },
  { kind: "modify", H: "migration_port=5" },
  { kind: "modify", H: "kvm:acpi=true" },
];

test("agrees with Ganeti's gnt-instance add and modify", (t) => {
  if (!requireDeps(t, ORACLE_DEPS)) return;
  const out = execFileSync("/usr/bin/python3", ["-c", ORACLE], {
    input: JSON.stringify(ORACLE_CASES.map((c) => ({ kind: c.kind, argv: argv(c) }))),
    env: { PATH: "/usr/bin:/bin", PYTHONHASHSEED: "0", LC_ALL: "C.UTF-8" },
    maxBuffer: 16 * 1024 * 1024,
  });
  const theirs = JSON.parse(out.toString()) as Answer[];
  ORACLE_CASES.forEach((c, i) => {
    const label = JSON.stringify(argv(c));
    const mine = ourAnswer(c);
    const want = theirs[i]!;
    if (c.differs !== undefined) {
      assert.deepEqual(mine, { error: c.differs }, label);
      assert.notDeepEqual(want, mine, `${label}: Ganeti agrees now`);
    } else if ("crash" in want) {
      assert.ok("error" in mine, `${label}: Ganeti crashes (${want.crash}), guestos should refuse`);
    } else {
      assert.deepEqual(mine, want, label);
    }
  });
});
