/*
 * The fields of `guestos instance list -o`, as Ganeti's instance query defines them (lib/query.py), for the
 * one node guestos manages: no secondaries, no live data (guestos never runs instances), public OS
 * parameters only.
 */
import type { InstanceView, ParamDict } from "../node/types.js";
import { codePointCompare } from "./genericinfo.js";
import { fieldTable, UNAVAIL, type FieldDef, type FieldKind } from "./query.js";

type Field = FieldDef<InstanceView>;
type Getter = Field["get"];

const f = (name: string, title: string, kind: FieldKind, doc: string, get: Getter): Field => ({
  name,
  title,
  kind,
  doc,
  get,
});

/** Ganeti's MAX_DISKS and MAX_NICS: the per-index fields exist for these indexes. */
const MAX_DISKS = 16;
const MAX_NICS = 8;

/** Cluster-wide hypervisor parameters: Ganeti leaves them out of an instance's filled hvparams. */
export const HV_GLOBALS: ReadonlySet<string> = new Set([
  "migration_bandwidth",
  "migration_mode",
  "migration_port",
  "xen_cmd",
]);

// Every per-instance hypervisor parameter of Ganeti 3.0 (constants.HVS_PARAMETER_TYPES minus the globals).
const HV_BOOL =
  "acpi pae serial_console spice_playback_compression spice_use_tls spice_use_vdagent use_bootloader " +
  "use_chroot use_guest_agent use_localtime user_shutdown vhost_net viridian vnc_tls vnc_x509_verify vnet_hdr";
const HV_NUMBER =
  "cpu_cap cpu_cores cpu_sockets cpu_threads cpu_weight kvm_pci_reservations migration_downtime num_ttys " +
  "serial_speed spice_ip_version startup_timeout virtio_net_queues";
const HV_OTHER =
  "blockdev_prefix boot_order bootloader_args bootloader_path cdrom2_image_path cdrom_disk_type " +
  "cdrom_image_path cpu_mask cpu_type cpuid device_model devices disk_aio disk_cache disk_discard disk_type " +
  "drop_capabilities extra_cgroups extra_config floppy_image_path init_script initrd_path kernel_args " +
  "kernel_path keymap kvm_extra kvm_flag kvm_path machine_version mem_path migration_caps nic_type pci_pass " +
  "reboot_behavior root_path scsi_controller_type security_domain security_model soundhw spice_bind " +
  "spice_image_compression spice_jpeg_wan_compression spice_password_file spice_streaming_video " +
  "spice_tls_ciphers spice_zlib_glz_wan_compression usb_devices usb_mouse vga vif_script vif_type " +
  "vnc_bind_address vnc_password_file vnc_x509_path";
const HV_TITLES: Record<string, string> = {
  acpi: "ACPI",
  boot_order: "Boot_order",
  cdrom_image_path: "CDROM_image_path",
  cpu_type: "cpu_type",
  disk_type: "Disk_type",
  initrd_path: "Initrd_path",
  kernel_path: "Kernel_path",
  nic_type: "NIC_type",
  pae: "PAE",
  pci_pass: "pci_pass",
  vnc_bind_address: "VNC_bind_address",
};

/** Ganeti's utils.FormatOrdinal: 1st, 2nd, 3rd, 4th, 11th, 21st. */
function ordinal(n: number): string {
  const tens = n % 10;
  const suffix = n > 10 && n < 20 ? "th" : tens === 1 ? "st" : tens === 2 ? "nd" : tens === 3 ? "rd" : "th";
  return `${n}${suffix}`;
}

/** The filled hypervisor parameters Ganeti's query shows (FillHV with skip_globals). */
export function instanceHvparams(view: InstanceView): ParamDict {
  return Object.fromEntries(Object.entries(view.filled.hvparams).filter(([k]) => !HV_GLOBALS.has(k)));
}

/**
 * Status on a node that never runs instances (Ganeti's _GetDeadInstStatus): an instance marked up is
 * `ERROR_down`.
 */
export function instanceStatus(view: InstanceView): string {
  if (view.adminState === "up") return "ERROR_down";
  return view.adminState === "down" ? "ADMIN_down" : "ADMIN_offline";
}

/** Ganeti's ComputeDiskSize: what the disks take on the node (adopted block devices take nothing). */
function diskUsage(view: InstanceView): number {
  return view.diskTemplate === "file" ? view.disks.reduce((sum, d) => sum + d.size, 0) : 0;
}

const maybe = (v: unknown): unknown => (v === null || v === undefined ? UNAVAIL : v);
const sortedDisks = (v: InstanceView) => [...v.disks].sort((a, b) => a.index - b.index);
const sortedNics = (v: InstanceView) =>
  [...v.nics]
    .map((nic, i) => ({ nic, filled: v.filled.nics[i] ?? { mode: "", link: "", vlan: "" } }))
    .sort((a, b) => a.nic.index - b.nic.index);
type NicPair = ReturnType<typeof sortedNics>[number];
const bridgeOf = (p: NicPair): string | null => (p.filled.mode === "bridged" ? p.filled.link : null);
const vlanOf = (p: NicPair): string | null =>
  p.filled.mode === "bridged" || p.filled.mode === "openvswitch" ? p.filled.vlan : null;

function publicOsparams(own: Record<string, string>, privateKeys: readonly string[]): Record<string, string> {
  const hidden = new Set(privateKeys);
  return Object.fromEntries(Object.entries(own).filter(([k]) => !hidden.has(k)));
}

function diskFields(): Field[] {
  const out: Field[] = [];
  for (let i = 0; i < MAX_DISKS; i++) {
    const nth = ordinal(i + 1);
    const disk = (get: (d: InstanceView["disks"][number]) => unknown): Getter => {
      return (v) => {
        const d = sortedDisks(v)[i];
        return d ? maybe(get(d)) : UNAVAIL;
      };
    };
    out.push(
      f(
        `disk.size/${i}`,
        `Disk/${i}`,
        "unit",
        `Disk size of ${nth} disk`,
        disk((d) => d.size),
      ),
      f(`disk.spindles/${i}`, `DiskSpindles/${i}`, "number", `Spindles of ${nth} disk`, () => UNAVAIL),
      f(
        `disk.name/${i}`,
        `DiskName/${i}`,
        "text",
        `Name of ${nth} disk`,
        disk((d) => d.name),
      ),
      f(
        `disk.uuid/${i}`,
        `DiskUUID/${i}`,
        "text",
        `UUID of ${nth} disk`,
        disk((d) => d.uuid),
      ),
    );
  }
  return out;
}

function nicFields(): Field[] {
  const out: Field[] = [];
  for (let i = 0; i < MAX_NICS; i++) {
    const nth = ordinal(i + 1);
    const nic = (get: (p: NicPair) => unknown): Getter => {
      return (v) => {
        const p = sortedNics(v)[i];
        return p ? maybe(get(p)) : UNAVAIL;
      };
    };
    out.push(
      f(
        `nic.ip/${i}`,
        `NicIP/${i}`,
        "text",
        `IP address of ${nth} network interface`,
        nic((p) => p.nic.ip),
      ),
      f(
        `nic.mac/${i}`,
        `NicMAC/${i}`,
        "text",
        `MAC address of ${nth} network interface`,
        nic((p) => p.nic.mac),
      ),
      f(
        `nic.name/${i}`,
        `NicName/${i}`,
        "text",
        `Name address of ${nth} network interface`,
        nic((p) => p.nic.name),
      ),
      f(
        `nic.uuid/${i}`,
        `NicUUID/${i}`,
        "text",
        `UUID address of ${nth} network interface`,
        nic((p) => p.nic.uuid),
      ),
      f(
        `nic.mode/${i}`,
        `NicMode/${i}`,
        "text",
        `Mode of ${nth} network interface`,
        nic((p) => p.filled.mode),
      ),
      f(
        `nic.link/${i}`,
        `NicLink/${i}`,
        "text",
        `Link of ${nth} network interface`,
        nic((p) => p.filled.link),
      ),
      f(`nic.bridge/${i}`, `NicBridge/${i}`, "text", `Bridge of ${nth} network interface`, nic(bridgeOf)),
      f(`nic.vlan/${i}`, `NicVLAN/${i}`, "text", `VLAN of ${nth} network interface`, (v) => {
        const p = sortedNics(v)[i];
        return p && p.filled.mode === "openvswitch" ? p.filled.vlan : UNAVAIL;
      }),
      f(
        `nic.network/${i}`,
        `NicNetwork/${i}`,
        "text",
        `Network of ${nth} network interface`,
        nic((p) => p.nic.network),
      ),
    );
  }
  return out;
}

function paramFields(): Field[] {
  const out: Field[] = [];
  const hv = (names: string, kind: FieldKind) => {
    for (const name of names.split(" ")) {
      const title = HV_TITLES[name] ?? `hv/${name}`;
      out.push(
        f(`hv/${name}`, title, kind, `The "${name}" hypervisor parameter`, (v) =>
          Object.hasOwn(v.filled.hvparams, name) ? v.filled.hvparams[name] : UNAVAIL,
        ),
      );
    }
  };
  hv(HV_BOOL, "bool");
  hv(HV_NUMBER, "number");
  hv(HV_OTHER, "other");
  const be = (name: string, title: string, kind: FieldKind) =>
    f(`be/${name}`, title, kind, `The "${name}" backend parameter`, (v) => v.filled.beparams[name] ?? null);
  out.push(
    be("always_failover", "be/always_failover", "bool"),
    be("auto_balance", "Auto_balance", "bool"),
    be("maxmem", "ConfigMaxMem", "unit"),
    be("minmem", "ConfigMinMem", "unit"),
    be("spindle_use", "be/spindle_use", "number"),
    be("vcpus", "ConfigVCPUs", "number"),
  );
  return out;
}

const STATUS_DOC =
  'Instance status; "running" if instance is set to be running and actually is, "ADMIN_down" if instance ' +
  'is stopped and is not running, "ERROR_wrongnode" if instance running, but not on its designated primary ' +
  'node, "ERROR_up" if instance should be stopped, but is actually running, "ERROR_down" if instance should ' +
  'run, but doesn\'t, "ERROR_nodedown" if instance\'s primary node is down, "ERROR_nodeoffline" if ' +
  'instance\'s primary node is marked offline, "ADMIN_offline" if instance is offline and does not use ' +
  'dynamic, "USER_down" if the user shutdown the instance resources';

const BASE_FIELDS: Field[] = [
  f("name", "Instance", "text", "Instance name", (v) => v.name),
  f("os", "OS", "text", "Operating system", (v) => v.os),
  f("hypervisor", "Hypervisor", "text", "Hypervisor name", (v) => v.hypervisor),
  f("pnode", "Primary_node", "text", "Primary node", (v) => v.primaryNode),
  f("snodes", "Secondary_Nodes", "other", "Secondary nodes; usually this will just be one node", () => []),
  f("status", "Status", "text", STATUS_DOC, instanceStatus),
  f("admin_state", "InstanceState", "text", "Desired state of the instance", (v) => v.adminState),
  f(
    "admin_state_source",
    "InstanceStateSource",
    "text",
    "Who last changed the desired state of the instance",
    () => "admin",
  ),
  f("admin_up", "Autostart", "bool", "Desired state of the instance", (v) => v.adminState === "up"),
  f("oper_state", "Running", "bool", "Actual state of instance", () => false),
  f("oper_ram", "Memory", "unit", "Actual memory usage as seen by hypervisor", () => UNAVAIL),
  f("oper_vcpus", "VCPUs", "number", "Actual number of VCPUs as seen by hypervisor", () => UNAVAIL),
  f(
    "network_port",
    "Network_port",
    "other",
    "Instance network port if available (e.g. for VNC console)",
    () => null,
  ),
  f("disk_template", "Disk_template", "text", "Instance disk template", (v) => v.diskTemplate),
  f(
    "disk_usage",
    "DiskUsage",
    "unit",
    "Total disk space used by instance on each of its nodes; this is not the disk size visible to the " +
      "instance, but the usage on the node",
    diskUsage,
  ),
  f("disk.count", "Disks", "number", "Number of disks", (v) => v.disks.length),
  f("disk.sizes", "Disk_sizes", "other", "List of disk sizes", (v) => sortedDisks(v).map((d) => d.size)),
  f("disk.spindles", "Disk_spindles", "other", "List of disk spindles", (v) => v.disks.map(() => null)),
  f("disk.names", "Disk_names", "other", "List of disk names", (v) => sortedDisks(v).map((d) => d.name)),
  f("disk.uuids", "Disk_UUIDs", "other", "List of disk UUIDs", (v) => sortedDisks(v).map((d) => d.uuid)),
  f("nic.count", "NICs", "number", "Number of network interfaces", (v) => v.nics.length),
  f("nic.macs", "NIC_MACs", "other", "List containing each network interface's MAC address", (v) =>
    sortedNics(v).map((p) => p.nic.mac),
  ),
  f("nic.ips", "NIC_IPs", "other", "List containing each network interface's IP address", (v) =>
    sortedNics(v).map((p) => p.nic.ip),
  ),
  f("nic.names", "NIC_Names", "other", "List containing each network interface's name", (v) =>
    sortedNics(v).map((p) => p.nic.name),
  ),
  f("nic.uuids", "NIC_UUIDs", "other", "List containing each network interface's UUID", (v) =>
    sortedNics(v).map((p) => p.nic.uuid),
  ),
  f("nic.modes", "NIC_modes", "other", "List containing each network interface's mode", (v) =>
    sortedNics(v).map((p) => p.filled.mode),
  ),
  f("nic.links", "NIC_links", "other", "List containing each network interface's link", (v) =>
    sortedNics(v).map((p) => p.filled.link),
  ),
  f("nic.vlans", "NIC_VLANs", "other", "List containing each network interface's VLAN", (v) =>
    sortedNics(v).map(vlanOf),
  ),
  f("nic.bridges", "NIC_bridges", "other", "List containing each network interface's bridge", (v) =>
    sortedNics(v).map(bridgeOf),
  ),
  f("nic.networks", "NIC_networks", "other", "List containing each interface's network", (v) =>
    sortedNics(v).map((p) => p.nic.network),
  ),
  // Ganeti keeps tags in a set; its query daemon sends them sorted.
  f("tags", "Tags", "other", "Tags", (v) => [...v.tags].sort(codePointCompare)),
  f("ctime", "CTime", "timestamp", "Creation timestamp", (v) => v.ctime),
  f("mtime", "MTime", "timestamp", "Modification timestamp", (v) => v.mtime),
  f("uuid", "UUID", "text", "Instance UUID", (v) => v.uuid),
  f(
    "serial_no",
    "SerialNo",
    "number",
    "Instance object serial number, incremented on each modification",
    (v) => v.serialNo,
  ),
  f("hvparams", "HypervisorParameters", "other", "Hypervisor parameters (merged)", instanceHvparams),
  f("beparams", "BackendParameters", "other", "Backend parameters (merged)", (v) => v.filled.beparams),
  f("osparams", "OpSysParameters", "other", "Operating system parameters (merged)", (v) =>
    publicOsparams(v.filled.osparams, v.osparamsPrivateKeys),
  ),
  f(
    "custom_hvparams",
    "CustomHypervisorParameters",
    "other",
    "Custom hypervisor parameters",
    (v) => v.hvparams,
  ),
  f("custom_beparams", "CustomBackendParameters", "other", "Custom backend parameters", (v) => v.beparams),
  f("custom_osparams", "CustomOpSysParameters", "other", "Custom operating system parameters", (v) =>
    publicOsparams(v.osparams, v.osparamsPrivateKeys),
  ),
  // guestos's own: where the OS install stands, and why the last job failed (its first line only: a
  // script failure carries up to 20 log lines, which `instance info` shows in full).
  f(
    "install",
    "Install",
    "text",
    "Whether the OS is on the disks: installed, pending, failed or skipped",
    (v) => v.installState,
  ),
  f(
    "error",
    "Last_error",
    "text",
    "First line of the error of the last failed job on the instance, empty if none",
    (v) => (v.lastError ?? "").split("\n")[0],
  ),
];

const ALIASES: [string, string][] = [
  ["vcpus", "be/vcpus"],
  ["be/memory", "be/maxmem"],
  ["sda_size", "disk.size/0"],
  ["sdb_size", "disk.size/1"],
  ["ip", "nic.ip/0"],
  ["mac", "nic.mac/0"],
  ["bridge", "nic.bridge/0"],
  ["nic_mode", "nic.mode/0"],
  ["nic_link", "nic.link/0"],
  ["nic_network", "nic.network/0"],
];

function build(): ReadonlyMap<string, Field> {
  const defs = [...BASE_FIELDS, ...nicFields(), ...paramFields(), ...diskFields()];
  const byName = fieldTable(defs);
  // An alias is a copy of its target under its own name (Ganeti's _PrepareFieldList).
  const aliases = ALIASES.map(([alias, target]) => ({ ...byName.get(target)!, name: alias }));
  return fieldTable([...defs, ...aliases]);
}

/** Every field of `instance list -o`, aliases included, keyed by name. */
export const INSTANCE_FIELDS: ReadonlyMap<string, FieldDef<InstanceView>> = build();

/** gnt-instance list's default fields (the code's, not the man page's). */
export const DEFAULT_INSTANCE_FIELDS: readonly string[] = [
  "name",
  "hypervisor",
  "os",
  "pnode",
  "status",
  "oper_ram",
];
