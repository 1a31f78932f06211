/**
 * Ganeti 3.0's parameter tables (lib/_constants.py), so guestos types, fills and checks -B, -H and NIC
 * parameters exactly as Ganeti does. Generated from test/interop/oracle/hvdata.py; test/interop/hvdata.test.ts
 * compares this file with the installed Ganeti. Python None is null, sets are sorted arrays. No default is a
 * Python float (FLOAT_DEFAULTS is empty), so every number here is a Python int.
 */
import type { ParamValue } from "./types.js";

/** Ganeti's parameter value types (constants.VTYPE_*), the values of the *_PARAMETER_TYPES tables. */
export const VTYPES = {
  VTYPE_BOOL: "bool",
  VTYPE_FLOAT: "float",
  VTYPE_INT: "int",
  VTYPE_MAYBE_STRING: "maybe-string",
  VTYPE_SIZE: "size",
  VTYPE_STRING: "string",
} as const;
export type VType = (typeof VTYPES)[keyof typeof VTYPES];

/** constants.ENFORCEABLE_TYPES: the types ForceDictType knows. */
export const ENFORCEABLE_TYPES: readonly VType[] = ["bool", "float", "int", "maybe-string", "size", "string"];

/** constants.HYPER_TYPES, sorted. */
export const HYPER_TYPES = ["chroot", "fake", "kvm", "lxc", "xen-hvm", "xen-pvm"] as const;
export type Hypervisor = (typeof HYPER_TYPES)[number];

/** constants.HVC_DEFAULTS: each hypervisor's parameters and defaults (the keys are its PARAMETERS). */
export const HVC_DEFAULTS: Readonly<Record<Hypervisor, Readonly<Record<string, ParamValue>>>> = {
  chroot: { init_script: "/ganeti-chroot" },
  fake: { migration_mode: "live" },
  kvm: {
    acpi: true,
    boot_order: "disk",
    cdrom2_image_path: "",
    cdrom_disk_type: "",
    cdrom_image_path: "",
    cpu_cores: 0,
    cpu_mask: "all",
    cpu_sockets: 0,
    cpu_threads: 0,
    cpu_type: "",
    disk_aio: "threads",
    disk_cache: "default",
    disk_discard: "default",
    disk_type: "paravirtual",
    floppy_image_path: "",
    initrd_path: "",
    kernel_args: "ro",
    kernel_path: "/boot/vmlinuz-3-kvmU",
    keymap: "",
    kvm_extra: "",
    kvm_flag: "",
    kvm_path: "/usr/bin/kvm",
    kvm_pci_reservations: 12,
    machine_version: "",
    mem_path: "",
    migration_bandwidth: 32,
    migration_caps: "",
    migration_downtime: 30,
    migration_mode: "live",
    migration_port: 8102,
    nic_type: "paravirtual",
    reboot_behavior: "reboot",
    root_path: "/dev/vda1",
    scsi_controller_type: "lsi",
    security_domain: "",
    security_model: "none",
    serial_console: true,
    serial_speed: 38400,
    soundhw: "",
    spice_bind: "",
    spice_image_compression: "",
    spice_ip_version: 0,
    spice_jpeg_wan_compression: "",
    spice_password_file: "",
    spice_playback_compression: true,
    spice_streaming_video: "",
    spice_tls_ciphers: "HIGH:-DES:-3DES:-EXPORT:-DH",
    spice_use_tls: false,
    spice_use_vdagent: true,
    spice_zlib_glz_wan_compression: "",
    usb_devices: "",
    usb_mouse: "",
    use_chroot: false,
    use_guest_agent: false,
    use_localtime: false,
    user_shutdown: false,
    vga: "",
    vhost_net: false,
    virtio_net_queues: 1,
    vnc_bind_address: "",
    vnc_password_file: "",
    vnc_tls: false,
    vnc_x509_path: "",
    vnc_x509_verify: false,
    vnet_hdr: true,
  },
  lxc: {
    cpu_mask: "",
    devices: "c 1:3 rw,c 1:5 rw,c 1:7 rw,c 1:8 rw,c 1:9 rw,c 1:10 rw,c 5:0 rw,c 5:1 rw,c 5:2 rw,c 136:* rw",
    drop_capabilities: "mac_override,sys_boot,sys_module,sys_time,sys_admin",
    extra_cgroups: "",
    extra_config: "",
    num_ttys: 6,
    startup_timeout: 30,
  },
  "xen-hvm": {
    acpi: true,
    blockdev_prefix: "hd",
    boot_order: "cd",
    cdrom_image_path: "",
    cpu_cap: 0,
    cpu_mask: "all",
    cpu_weight: 256,
    cpuid: "",
    device_model: "/usr/lib/xen/bin/qemu-dm",
    disk_type: "paravirtual",
    kernel_path: "/usr/lib/xen/boot/hvmloader",
    migration_mode: "non-live",
    migration_port: 8002,
    nic_type: "rtl8139",
    pae: true,
    pci_pass: "",
    reboot_behavior: "reboot",
    soundhw: "",
    use_localtime: false,
    vif_script: "",
    vif_type: "ioemu",
    viridian: false,
    vnc_bind_address: "0.0.0.0",
    vnc_password_file: "/etc/ganeti/vnc-cluster-password",
    xen_cmd: "xm",
  },
  "xen-pvm": {
    blockdev_prefix: "sd",
    bootloader_args: "",
    bootloader_path: "",
    cpu_cap: 0,
    cpu_mask: "all",
    cpu_weight: 256,
    cpuid: "",
    initrd_path: "",
    kernel_args: "ro",
    kernel_path: "/boot/vmlinuz-3-xenU",
    migration_mode: "live",
    migration_port: 8002,
    reboot_behavior: "reboot",
    root_path: "/dev/xvda1",
    soundhw: "",
    use_bootloader: false,
    vif_script: "",
    xen_cmd: "xm",
  },
};

/** constants.HVS_PARAMETER_TYPES: the types of all hypervisors' parameters (what -H is typed by). */
export const HVS_PARAMETER_TYPES: Readonly<Record<string, VType>> = {
  acpi: "bool",
  blockdev_prefix: "string",
  boot_order: "string",
  bootloader_args: "string",
  bootloader_path: "string",
  cdrom2_image_path: "string",
  cdrom_disk_type: "string",
  cdrom_image_path: "string",
  cpu_cap: "int",
  cpu_cores: "int",
  cpu_mask: "string",
  cpu_sockets: "int",
  cpu_threads: "int",
  cpu_type: "string",
  cpu_weight: "int",
  cpuid: "string",
  device_model: "string",
  devices: "string",
  disk_aio: "string",
  disk_cache: "string",
  disk_discard: "string",
  disk_type: "string",
  drop_capabilities: "string",
  extra_cgroups: "string",
  extra_config: "string",
  floppy_image_path: "string",
  init_script: "string",
  initrd_path: "string",
  kernel_args: "string",
  kernel_path: "string",
  keymap: "string",
  kvm_extra: "string",
  kvm_flag: "string",
  kvm_path: "string",
  kvm_pci_reservations: "int",
  machine_version: "string",
  mem_path: "string",
  migration_bandwidth: "int",
  migration_caps: "string",
  migration_downtime: "int",
  migration_mode: "string",
  migration_port: "int",
  nic_type: "string",
  num_ttys: "int",
  pae: "bool",
  pci_pass: "string",
  reboot_behavior: "string",
  root_path: "maybe-string",
  scsi_controller_type: "string",
  security_domain: "string",
  security_model: "string",
  serial_console: "bool",
  serial_speed: "int",
  soundhw: "string",
  spice_bind: "string",
  spice_image_compression: "string",
  spice_ip_version: "int",
  spice_jpeg_wan_compression: "string",
  spice_password_file: "string",
  spice_playback_compression: "bool",
  spice_streaming_video: "string",
  spice_tls_ciphers: "string",
  spice_use_tls: "bool",
  spice_use_vdagent: "bool",
  spice_zlib_glz_wan_compression: "string",
  startup_timeout: "int",
  usb_devices: "string",
  usb_mouse: "string",
  use_bootloader: "bool",
  use_chroot: "bool",
  use_guest_agent: "bool",
  use_localtime: "bool",
  user_shutdown: "bool",
  vga: "string",
  vhost_net: "bool",
  vif_script: "string",
  vif_type: "string",
  viridian: "bool",
  virtio_net_queues: "int",
  vnc_bind_address: "string",
  vnc_password_file: "string",
  vnc_tls: "bool",
  vnc_x509_path: "string",
  vnc_x509_verify: "bool",
  vnet_hdr: "bool",
  xen_cmd: "string",
};

/** constants.HVC_GLOBALS: hypervisor parameters that only the cluster may set. */
export const HVC_GLOBALS: readonly string[] = [
  "migration_bandwidth",
  "migration_mode",
  "migration_port",
  "xen_cmd",
];

/** constants.BEC_DEFAULTS: backend parameter defaults. */
export const BEC_DEFAULTS: Readonly<Record<string, ParamValue>> = {
  always_failover: false,
  auto_balance: true,
  maxmem: 128,
  minmem: 128,
  spindle_use: 1,
  vcpus: 1,
};

/** constants.BES_PARAMETER_TYPES: backend parameter types as stored. */
export const BES_PARAMETER_TYPES: Readonly<Record<string, VType>> = {
  always_failover: "bool",
  auto_balance: "bool",
  maxmem: "size",
  minmem: "size",
  spindle_use: "int",
  vcpus: "int",
};

/** constants.BES_PARAMETER_COMPAT: what -B accepts (BES_PARAMETER_TYPES plus the old `memory`). */
export const BES_PARAMETER_COMPAT: Readonly<Record<string, VType>> = {
  always_failover: "bool",
  auto_balance: "bool",
  maxmem: "size",
  memory: "size",
  minmem: "size",
  spindle_use: "int",
  vcpus: "int",
};

/** constants.NICC_DEFAULTS: NIC parameter defaults. */
export const NICC_DEFAULTS: Readonly<Record<string, ParamValue>> = {
  link: "xen-br0",
  mode: "bridged",
  vlan: "",
};

/** constants.NICS_PARAMETER_TYPES: NIC parameter types. */
export const NICS_PARAMETER_TYPES: Readonly<Record<string, VType>> = {
  link: "string",
  mode: "string",
  vlan: "string",
};

/** constants.INIC_PARAMS_TYPES: the keys and types --net accepts. */
export const INIC_PARAMS_TYPES: Readonly<Record<string, VType>> = {
  bridge: "maybe-string",
  ip: "maybe-string",
  link: "string",
  mac: "string",
  mode: "string",
  name: "maybe-string",
  network: "maybe-string",
  vlan: "maybe-string",
};

/** constants.IDISK_PARAMS_TYPES: the keys and types --disk accepts. */
export const IDISK_PARAMS_TYPES: Readonly<Record<string, VType>> = {
  access: "string",
  adopt: "string",
  dev_type: "string",
  metavg: "string",
  mode: "string",
  name: "maybe-string",
  provider: "string",
  size: "size",
  spindles: "int",
  vg: "string",
};

/** Defaults that are Python floats, as "TABLE/key" paths (none in Ganeti 3.0). */
export const FLOAT_DEFAULTS: readonly string[] = [];
