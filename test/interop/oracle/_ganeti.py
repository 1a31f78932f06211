"""Bootstrap for the Ganeti 3.0 oracle: interpreter, sys.path and every monkeypatch.

Run with Debian's interpreter, /usr/bin/python3: Ganeti's dependencies (pycurl,
pyinotify, simplejson, bitarray, OpenSSL ...) are Debian python3-* packages that a
pyenv python3 first on PATH does not see. Ganeti's package is not on the default
sys.path either: Debian installs it under /usr/share/ganeti/<version>/ganeti and its
gnt-* scripts find it only because they live in that directory.

Every monkeypatch applied to Ganeti is defined here and recorded with note(), so each
answer of the oracle lists the patches that were active while it was computed.
"""

import logging
import os
import sys

# Re-exec once under /usr/bin/python3 with a fixed PYTHONHASHSEED: Ganeti joins a
# Python set into NIC_<n>_NETWORK_TAGS, so the order would change per process.
_WANT_PY = "/usr/bin/python3"
if (not os.environ.get("GANETI_ORACLE_REEXEC") and os.path.exists(_WANT_PY)
    and (os.path.realpath(sys.executable) != os.path.realpath(_WANT_PY)
         or os.environ.get("PYTHONHASHSEED") != "0")):
  os.environ["PYTHONHASHSEED"] = "0"
  os.environ["GANETI_ORACLE_REEXEC"] = "1"
  os.execv(_WANT_PY, [_WANT_PY] + sys.argv)

GANETI_DIR = os.environ.get("GANETI_PYTHON_DIR", "/usr/share/ganeti/default")
if GANETI_DIR not in sys.path:
  sys.path.insert(0, GANETI_DIR)

# pylint: disable=C0413
from ganeti import backend     # noqa: E402
from ganeti import errors      # noqa: E402
from ganeti import pathutils   # noqa: E402
from ganeti import utils       # noqa: E402
from ganeti.storage import filestorage  # noqa: E402

# Patches active for the whole process, then the ones of the current request.
GLOBAL_PATCHES = [
  {"id": "sys.path", "what": "sys.path[0] = %r" % GANETI_DIR},
  {"id": "PYTHONHASHSEED", "what": "re-exec with PYTHONHASHSEED=%s" %
   os.environ.get("PYTHONHASHSEED")},
]
PATCHES = []

_DEFAULT_SEARCH_PATH = list(pathutils.OS_SEARCH_PATH)
_ORIG_OPEN_REAL_BD = backend._OpenRealBD  # pylint: disable=W0212


def note(patch_id, text):
  """Record that a patch is active for the current request (once per request)."""
  entry = {"id": patch_id, "what": text}
  if entry not in PATCHES:
    PATCHES.append(entry)


def silence_logging():
  """PATCH logging.disable: backend._Fail logs every failure to stderr."""
  if not os.environ.get("ORACLE_VERBOSE"):
    logging.disable(logging.CRITICAL)
    GLOBAL_PATCHES.append({"id": "logging.disable",
                           "what": "logging.disable(CRITICAL)"})


def allow_any_file_storage_path():
  """PATCH file_storage_paths: accept any path for file-based disks.

  Real Ganeti only accepts file disks below the directories listed in
  /etc/ganeti/file-storage-paths (written by gnt-cluster init). The check does not
  influence the environment, and FileDeviceHelper looks the function up at call time.
  """
  filestorage.CheckFileStoragePathAcceptance = lambda path, *a, **kw: None
  GLOBAL_PATCHES.append({
    "id": "file_storage_paths",
    "what": "storage.filestorage.CheckFileStoragePathAcceptance = no-op"})


def begin_request():
  """Undo the per-request patches of the previous request."""
  del PATCHES[:]
  pathutils.OS_SEARCH_PATH = list(_DEFAULT_SEARCH_PATH)
  backend._OpenRealBD = _ORIG_OPEN_REAL_BD  # pylint: disable=W0212


def set_os_search_path(dirs):
  """PATCH os_search_path: replace pathutils.OS_SEARCH_PATH.

  _TryOSFromDisk and DiagnoseOS read the module attribute at call time (default
  /srv/ganeti/os, /usr/local/lib/ganeti/os, /usr/lib/ganeti/os, /usr/share/ganeti/os).
  """
  pathutils.OS_SEARCH_PATH = list(dirs)
  note("os_search_path", "pathutils.OS_SEARCH_PATH = %r" % (list(dirs),))


class _StubDevice(object):
  """Stands in for an attached ganeti.storage BlockDev."""

  def __init__(self, dev_path, uri):
    self.dev_path = dev_path
    self._uri = uri

  def Open(self, force=False, exclusive=True):  # pylint: disable=W0613
    return None

  def GetUserspaceAccessUri(self, hypervisor):  # pylint: disable=W0613
    if self._uri is None:
      raise errors.BlockDeviceError("stub device %s has no 'uri'" %
                                    self.dev_path)
    return self._uri


def stub_block_devices(uri_by_uuid):
  """PATCH stub_devices: do not look up real block devices.

  backend._OpenRealBD attaches to the real device (LV, DRBD minor, block device,
  existing file). The stub's dev_path is the disk's logical_id[1] (None gives no
  DISK_<n>_PATH, as a userspace-only device does) and its userspace URI is the one
  given for the disk. Everything else in OSEnvironment is still Ganeti's code.
  """
  def _open_real_bd(disk):
    return _StubDevice(disk.logical_id[1], uri_by_uuid.get(disk.uuid))
  backend._OpenRealBD = _open_real_bd  # pylint: disable=W0212
  note("stub_devices", "backend._OpenRealBD = stub (dev_path = logical_id[1], "
       "uri = the given uri; no bdev.FindDevice)")


class CapturedRun(object):
  """PATCH capture_runcmd: record utils.RunCmd calls instead of running them."""

  def __init__(self):
    self.calls = []
    self._orig = utils.RunCmd

  def __enter__(self):
    def _fake_runcmd(cmd, env=None, output=None, cwd="/", reset_env=False,
                     **kwargs):
      self.calls.append({"cmd": cmd, "env": dict(env or {}), "output": output,
                         "cwd": cwd, "reset_env": reset_env,
                         "other_kwargs": sorted(kwargs)})
      return utils.RunResult(0, None, "", "", cmd, None, None)
    utils.RunCmd = _fake_runcmd
    note("capture_runcmd", "utils.RunCmd = recorder (nothing is executed)")
    return self

  def __exit__(self, *exc):
    utils.RunCmd = self._orig
    return False


def all_patches():
  """The patches active for the current request, global ones first."""
  return list(GLOBAL_PATCHES) + list(PATCHES)
