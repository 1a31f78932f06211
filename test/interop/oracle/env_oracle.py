"""Oracle request "env": the environment Ganeti 3.0 gives to an OS's scripts.

  create     backend.InstanceOsAdd(instance, reinstall=False, debug)
  reinstall  backend.InstanceOsAdd(instance, reinstall=True, debug)
  rename     backend.RunRenameInstance(instance, old_name, debug)
  import     backend._GetImportExportIoCommand(instance, IEM_IMPORT, IEIO_SCRIPT,
                                               (disk, idx)), for every disk
  export     the same with IEM_EXPORT

create/reinstall/rename run Ganeti's real functions with utils.RunCmd replaced by a
recorder; import/export call the function StartImportExportDaemon uses to build the
env. The instance dict is shaped like the master's rpc.node.RpcRunner._InstDict does
it and goes through the RPC's JSON round trip (osparams_private becomes a
PrivateDict). hv/be/os/nic params are passed through as given (no cluster defaults
unless "fill_cluster_defaults" is true): the caller gives fully specified params.

Instance JSON fields: name, os, hypervisor, uuid, ctime, mtime, primary_node,
secondary_nodes, hvparams, beparams, osparams, osparams_private, osparams_secret,
disks [{dev_type, logical_id, path, uri, access, mode, size, name, uuid, params}],
nics [{mac, ip, mode, link, uuid, name, netinfo}], debug, old_name, os_search_path,
operations, fill_cluster_defaults (default false), stub_devices (default true).
"""

import _ganeti as G

from ganeti import constants, objects, serializer, backend  # noqa: E402
from ganeti.rpc import node as rpc_node  # noqa: E402

ALL_OPS = ["create", "reinstall", "rename", "import", "export"]

DEFAULT_DRIVER = {
  constants.DT_FILE: constants.FD_LOOP,
  constants.DT_SHARED_FILE: constants.FD_LOOP,
  constants.DT_GLUSTER: constants.FD_LOOP,
  constants.DT_BLOCK: constants.BLOCKDEV_DRIVER_MANUAL,
}


def _as_time(value):
  # Ganeti's config always holds time.time() floats; JSON cannot say 1.0 vs 1.
  return None if value is None else float(value)


def _disk_from_json(idx, d):
  dev_type = d.get("dev_type")
  path = d.get("path")
  if dev_type is None:
    dev_type = constants.DT_BLOCK if (path or "").startswith("/dev/") \
      else constants.DT_FILE
  logical_id = d.get("logical_id")
  if logical_id is None:
    logical_id = [DEFAULT_DRIVER.get(dev_type, "stub"), path]
  params = dict(d.get("params", {}))
  if "access" in d:
    params[constants.LDP_ACCESS] = d["access"]
  children = []
  if dev_type == constants.DT_DRBD8:
    # AnnotateDiskParams unpacks exactly (data, meta) children for DRBD.
    children = [objects.Disk(dev_type=constants.DT_PLAIN,
                             logical_id=("stubvg", "%s_%s" % (idx, part)),
                             children=[], size=d.get("size", 1024),
                             mode=constants.DISK_RDWR, params={},
                             uuid="drbd-%d-%s" % (idx, part), name=None,
                             iv_name=None, nodes=[], spindles=None,
                             serial_no=1)
                for part in ("data", "meta")]
  return objects.Disk(dev_type=dev_type, logical_id=tuple(logical_id),
                      children=children, size=d.get("size", 1024),
                      mode=d.get("mode", constants.DISK_RDWR), params=params,
                      uuid=d.get("uuid", "disk-uuid-%d" % idx),
                      name=d.get("name"), iv_name="disk/%d" % idx, nodes=[],
                      spindles=None, serial_no=1)


def _nic_from_json(idx, n):
  nicparams = dict(n.get("nicparams", {}))
  for key in ("mode", "link", "vlan"):
    if key in n:
      nicparams[key] = n[key]
  netinfo = n.get("netinfo")
  network = n.get("network", netinfo["uuid"] if netinfo else None)
  nic = objects.NIC(mac=n.get("mac", "aa:00:00:00:00:%02x" % idx),
                    ip=n.get("ip"), nicparams=nicparams,
                    uuid=n.get("uuid", "nic-uuid-%d" % idx),
                    name=n.get("name"), network=network)
  return nic, netinfo


def _default_cluster(spec):
  """A Cluster with the defaults "gnt-cluster init" stores (FillDict of constants)."""
  given = spec.get("cluster", {})
  hvp = dict((hv, objects.FillDict(constants.HVC_DEFAULTS[hv],
                                   given.get("hvparams", {}).get(hv, {})))
             for hv in constants.HYPER_TYPES)
  dsp = dict((t, objects.FillDict(constants.DISK_DT_DEFAULTS[t],
                                  given.get("diskparams", {}).get(t, {})))
             for t in constants.DISK_TEMPLATES)
  cluster = objects.Cluster(
    hvparams=hvp,
    beparams={constants.PP_DEFAULT: objects.FillDict(
      constants.BEC_DEFAULTS, given.get("beparams", {}))},
    nicparams={constants.PP_DEFAULT: objects.FillDict(
      constants.NICC_DEFAULTS, given.get("nicparams", {}))},
    osparams=dict(given.get("osparams", {})), osparams_private_cluster={},
    os_hvp=dict(given.get("os_hvp", {})), diskparams=dsp,
    enabled_hypervisors=[spec.get("hypervisor", constants.HT_FAKE)])
  cluster.UpgradeConfig()
  return cluster


def build_rpc_instance_dict(spec, osparams_secret=None):
  """Mimic rpc.node.RpcRunner._InstDict for one instance, then the RPC round trip."""
  cluster = _default_cluster(spec)
  disks = [_disk_from_json(i, d) for i, d in enumerate(spec.get("disks", []))]
  nics_netinfo = [_nic_from_json(i, n) for i, n in
                  enumerate(spec.get("nics", []))]
  inst = objects.Instance(
    name=spec["name"], os=spec["os"], uuid=spec.get("uuid", "instance-uuid"),
    ctime=_as_time(spec.get("ctime")), mtime=_as_time(spec.get("mtime")),
    primary_node=spec.get("primary_node", "node1.example.com"),
    hypervisor=spec.get("hypervisor", constants.HT_FAKE),
    hvparams=dict(spec.get("hvparams", {})),
    beparams=dict(spec.get("beparams", {})),
    osparams=dict(spec.get("osparams", {})),
    osparams_private=serializer.PrivateDict(spec.get("osparams_private", {})),
    nics=[n for (n, _) in nics_netinfo], disks=[d.uuid for d in disks],
    disk_template=spec.get("disk_template"),
    admin_state=constants.ADMINST_DOWN,
    admin_state_source=constants.ADMIN_SOURCE, disks_active=True,
    network_port=None, serial_no=1, tags=set())

  fill = spec.get("fill_cluster_defaults", False)
  idict = inst.ToDict()
  idict["hvparams"] = cluster.FillHV(inst) if fill else dict(inst.hvparams)
  idict["secondary_nodes"] = list(spec.get("secondary_nodes", []))
  idict["beparams"] = cluster.FillBE(inst) if fill else dict(inst.beparams)
  idict["osparams"] = cluster.SimpleFillOS(inst.os, inst.osparams) \
    if fill else dict(inst.osparams)
  if osparams_secret:
    idict["osparams"].update(osparams_secret)
  diskparams = cluster.SimpleFillDP(spec.get("group_diskparams", {}))
  idict["disks_info"] = [d.ToDict(include_dynamic_params=True) for d in
                         rpc_node.AnnotateDiskParams(disks, diskparams)]
  for nic, (_, netinfo) in zip(idict["nics"], nics_netinfo):
    if fill:
      nic["nicparams"] = objects.FillDict(
        cluster.nicparams[constants.PP_DEFAULT], nic["nicparams"])
    if netinfo:
      nic["netinfo"] = netinfo
  wire = serializer.DumpJson(
    idict, private_encoder=serializer.EncodeWithPrivateFields)
  return serializer.LoadJson(wire)


def _err(exc):
  return {"error": "%s: %s" % (exc.__class__.__name__, exc)}


def _recorded(call):
  return {"script": call["cmd"][0], "argv": call["cmd"], "cwd": call["cwd"],
          "reset_env": call["reset_env"], "log_file": call["output"],
          "env": call["env"]}


def _run_op(op, spec, instance, debug):
  if op in ("create", "reinstall"):
    # LUInstanceCreate / LUInstanceReinstall pass osparams_secret as the RPC's
    # osparams override.
    with G.CapturedRun() as cap:
      backend.InstanceOsAdd(instance(True), op == "reinstall", debug)
    (call, ) = cap.calls
    return _recorded(call)
  if op == "rename":
    # instance_run_rename sends ED_INST_DICT: no secret params.
    old_name = spec.get("old_name", "old-" + spec["name"])
    with G.CapturedRun() as cap:
      backend.RunRenameInstance(instance(False), old_name, debug)
    (call, ) = cap.calls
    return _recorded(call)
  if op in ("import", "export"):
    mode = constants.IEM_IMPORT if op == "import" else constants.IEM_EXPORT
    inst = instance(False)
    per_disk = []
    for idx, disk in enumerate(inst.disks_info):
      try:
        (env, prefix, suffix, exp_size) = \
          backend._GetImportExportIoCommand(  # pylint: disable=W0212
            inst, mode, constants.IEIO_SCRIPT, (disk, idx))
        per_disk.append({
          "index": idx, "env": env, "cmd_prefix": prefix,
          "cmd_suffix": suffix, "expected_size": exp_size, "reset_env": False,
          # what utils.StartDaemon and the import-export daemon add
          "added_at_runtime": {
            "inherits": "the node daemon's os.environ", "LC_ALL": "C",
            "EXP_SIZE_FD": ("<fd number>" if exp_size ==
                            constants.IE_CUSTOM_SIZE else None)}})
      except Exception as exc:  # pylint: disable=W0703
        per_disk.append(dict(index=idx, **_err(exc)))
    return per_disk
  return {"error": "unknown operation %r" % (op, )}


def env(req):
  """The "env" request: every requested operation's env for one instance."""
  spec = req["instance"]
  if "os_search_path" in spec:
    G.set_os_search_path(spec["os_search_path"])
  if spec.get("stub_devices", True):
    G.stub_block_devices(dict((d.get("uuid", "disk-uuid-%d" % i), d.get("uri"))
                              for i, d in enumerate(spec.get("disks", []))))
  debug = spec.get("debug", 0)
  out = {"operations": {}}
  try:
    inst_os = backend.OSFromDisk(spec["os"])
    out["os"] = {"name": inst_os.name, "path": inst_os.path,
                 "api_versions": inst_os.api_versions,
                 "variants": inst_os.supported_variants,
                 "parameters": inst_os.supported_parameters}
  except Exception as exc:  # pylint: disable=W0703
    out["os"] = _err(exc)

  secret = spec.get("osparams_secret")

  def instance(with_secret):
    d = build_rpc_instance_dict(spec, secret if with_secret else None)
    return objects.Instance.FromDict(d)

  for op in spec.get("operations", ALL_OPS):
    try:
      out["operations"][op] = _run_op(op, spec, instance, debug)
    except Exception as exc:  # pylint: disable=W0703
      out["operations"][op] = _err(exc)
  return out
