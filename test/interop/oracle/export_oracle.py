#!/usr/bin/python3
"""Batch oracle: Ganeti 3.0's export config (config.ini) written and read by Ganeti's own code.

Usage: PYTHONHASHSEED=0 /usr/bin/python3 export_oracle.py < requests.json > answers.json

Requests (a JSON list; answers in the same order):
  {"kind": "finalize", "instance": {...env_oracle instance JSON...}, "tags": [..],
   "snap_disks": [{dev_type, uuid, size, name, iv_name}, ...], "timestamp": n}
      -> {"ok": true, "config": <config.ini text>} | {"ok": false, "exception": cls, "message": m}
     backend.FinalizeExport itself, on the instance dict the master's _InstDict sends (RPC JSON round
     trip included) and the snapshot disks as the RPC encodes them. Patched: pathutils.EXPORT_DIR (a
     temporary directory) and time.time (the given timestamp).
  {"kind": "read", "config": <text>, "disk_template": "file"}
      -> {"ok": true, "os_type", "disks", "nics", "tags", "hypervisor", "hvparams", "beparams",
          "osparams", "osparams_private", "old_name", "dump_images"}
       | {"ok": false, "stage": "node"|"master", "exception": cls, "message": m}
     plus "src_path", the (removed) directory the node read.
     The node's backend.ExportInfo on a directory holding the text as config.ini (RPC failures wrapped
     as noded does), then LUInstanceCreate._ReadExportInfo and _ReadExportParams run on a stand-in LU
     whose opcode gives nothing (no disks, NICs, tags, hypervisor or parameters), then the
     disk<i>_dump lookup of LUInstanceCreate.CheckPrereq (copied: it is inline there). Patched:
     instance_create.CheckNodeOnline (no cluster) and the LU's rpc.call_export_info (the node's answer).
"""

import json
import os
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _ganeti as G  # noqa: E402
import env_oracle  # noqa: E402

from ganeti import backend, constants, errors, objects, pathutils, serializer, utils  # noqa: E402
from ganeti.cmdlib import instance_create  # noqa: E402
from ganeti.rpc import node as rpc_node  # noqa: E402


def _failure(exc, **extra):
  # Ganeti's errors carry (message, error code) as args; the message is what users see.
  message = str(exc)
  if isinstance(exc, errors.GenericError) and exc.args and isinstance(exc.args[0], str):
    message = exc.args[0]
  out = {"ok": False, "exception": exc.__class__.__name__, "message": message}
  out.update(extra)
  return out


def _wire(obj):
  """The RPC's JSON round trip."""
  return serializer.LoadJson(serializer.DumpJson(
    obj, private_encoder=serializer.EncodeWithPrivateFields))


def finalize(req):
  spec = dict(req["instance"])
  spec.setdefault("disks", [])
  idict = env_oracle.build_rpc_instance_dict(spec)
  idict["tags"] = list(req.get("tags", []))
  instance = objects.Instance.FromDict(_wire(idict))
  snap_disks = []
  for d in req["snap_disks"]:
    disk = objects.Disk(dev_type=d["dev_type"], size=d["size"],
                        logical_id=("stub", d["uuid"]), iv_name=d["iv_name"],
                        params={}, children=[], uuid=d["uuid"], name=d.get("name"))
    snap_disks.append(objects.Disk.FromDict(_wire(disk.ToDict())))
  tmp = tempfile.mkdtemp(prefix="export-oracle-")
  orig_dir, orig_time = pathutils.EXPORT_DIR, time.time
  try:
    pathutils.EXPORT_DIR = tmp
    time.time = lambda: float(req["timestamp"])
    G.note("export_dir", "pathutils.EXPORT_DIR = <temporary directory>")
    G.note("time", "time.time = lambda: %r" % float(req["timestamp"]))
    os.mkdir(os.path.join(tmp, instance.name + ".new"))
    try:
      backend.FinalizeExport(instance, snap_disks)
    except Exception as exc:  # pylint: disable=W0703
      return _failure(exc)
    with open(os.path.join(tmp, instance.name, constants.EXPORT_CONF_FILE),
              encoding="utf-8", newline="") as f:
      return {"ok": True, "config": f.read()}
  finally:
    pathutils.EXPORT_DIR, time.time = orig_dir, orig_time
    shutil.rmtree(tmp, ignore_errors=True)


class _Op(object):
  pass


class _Rpc(object):
  def __init__(self, result):
    self._result = result

  def call_export_info(self, node, path):  # pylint: disable=W0613
    return self._result


class _Lu(object):
  pass


def _node_export_info(path):
  """noded's perspective_export_info with HandleRequest's error wrapping."""
  try:
    data = (True, backend.ExportInfo(path))
  except backend.RPCFail as err:
    data = (False, str(err))
  except Exception as err:  # pylint: disable=W0703
    data = (False, "Error while executing backend function: %s" % str(err))
  return rpc_node.RpcResult(data=_wire(list(data)), call="export_info",
                            node="node1")


def read(req):
  tmp = tempfile.mkdtemp(prefix="export-oracle-")
  orig_check = instance_create.CheckNodeOnline
  try:
    out = _read(req, tmp)
    out["src_path"] = tmp
    return out
  finally:
    instance_create.CheckNodeOnline = orig_check
    shutil.rmtree(tmp, ignore_errors=True)


def _read(req, tmp):
  """The node's export_info, then the master's reading, for config text written to tmp."""
  with open(os.path.join(tmp, constants.EXPORT_CONF_FILE), "w",
            encoding="utf-8", newline="") as f:
    f.write(req["config"])
  op = _Op()
  op.mode = constants.INSTANCE_IMPORT
  op.src_node_uuid = "node1-uuid"
  op.src_path = tmp
  op.disks = []
  op.nics = []
  op.tags = []
  op.hypervisor = None
  op.hvparams = {}
  op.beparams = {}
  op.osparams = {}
  op.osparams_private = {}
  op.disk_template = req.get("disk_template", constants.DT_FILE)
  lu = _Lu()
  lu.op = op
  lu.rpc = _Rpc(_node_export_info(tmp))
  instance_create.CheckNodeOnline = lambda *args, **kwargs: None
  G.note("check_node_online", "instance_create.CheckNodeOnline = no-op")
  G.note("rpc", "lu.rpc.call_export_info = backend.ExportInfo on a temporary directory")
  try:
    einfo = instance_create.LUInstanceCreate._ReadExportInfo(lu)  # pylint: disable=W0212
  except Exception as exc:  # pylint: disable=W0703
    return _failure(exc, stage="node" if lu.rpc._result.fail_msg else "master")  # pylint: disable=W0212
  try:
    instance_create.LUInstanceCreate._ReadExportParams(lu, einfo)  # pylint: disable=W0212
    old_name = einfo.get(constants.INISECT_INS, "name")
    # LUInstanceCreate.CheckPrereq, import mode (inline there).
    dump_images = []
    for idx in range(len(op.disks)):
      option = "disk%d_dump" % idx
      if einfo.has_option(constants.INISECT_INS, option):
        export_name = einfo.get(constants.INISECT_INS, option)
        dump_images.append(utils.PathJoin(op.src_path, export_name))
      else:
        dump_images.append(False)
  except Exception as exc:  # pylint: disable=W0703
    return _failure(exc, stage="master")
  return {
    "ok": True,
    "os_type": op.os_type,
    "disks": op.disks,
    "nics": op.nics,
    "tags": op.tags,
    "hypervisor": op.hypervisor,
    "hvparams": op.hvparams,
    "beparams": op.beparams,
    "osparams": op.osparams,
    "osparams_private": dict((k, v.Get()) for k, v in op.osparams_private.items()),
    "old_name": old_name,
    "dump_images": [os.path.relpath(p, tmp) if p else p for p in dump_images],
  }


HANDLERS = {"finalize": finalize, "read": read}


def main():
  requests = json.load(sys.stdin)
  G.silence_logging()
  answers = []
  for req in requests:
    G.begin_request()
    try:
      out = HANDLERS[req["kind"]](req)
    except Exception as exc:  # pylint: disable=W0703
      out = {"error": "%s: %s" % (exc.__class__.__name__, exc)}
    out["kind"] = req.get("kind")
    out["ganeti_version"] = constants.RELEASE_VERSION
    out["patches"] = G.all_patches()
    answers.append(out)
  json.dump(answers, sys.stdout, default=str)
  sys.stdout.write("\n")
  return 0


if __name__ == "__main__":
  sys.exit(main())
