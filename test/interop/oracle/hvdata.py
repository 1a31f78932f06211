"""Print, as JSON, the parameter tables of Ganeti 3.0 that src/node/hvdata.ts copies.

Run with Debian's /usr/bin/python3 (test/interop/hvdata.test.ts does). Sets become
sorted lists; dict keys are sorted. JSON cannot tell 1.0 from 1, so every default that
is a Python float is also listed in FLOAT_DEFAULTS as "TABLE/key" (or
"HVC_DEFAULTS/hv/key"); guestos keeps such values as numbers and must format them with
pyFloat. None becomes null, tuples and lists become arrays.
"""

import json
import os
import sys

sys.path.insert(0, os.environ.get("GANETI_PYTHON_DIR", "/usr/share/ganeti/default"))

from ganeti import constants as C  # noqa: E402

FLOATS = []


def plain(value, where):
  """A JSON-ready copy of a constant, recording floats."""
  if isinstance(value, bool) or value is None or isinstance(value, (int, str)):
    return value
  if isinstance(value, float):
    FLOATS.append(where)
    return value
  if isinstance(value, (list, tuple)):
    return [plain(v, "%s/%d" % (where, i)) for i, v in enumerate(value)]
  if isinstance(value, (set, frozenset)):
    return sorted(plain(v, where) for v in value)
  if isinstance(value, dict):
    return {k: plain(value[k], "%s/%s" % (where, k)) for k in sorted(value)}
  raise TypeError("%s: unexpected %r" % (where, type(value)))


def main():
  tables = {
    "HYPER_TYPES": sorted(C.HYPER_TYPES),
    "HVC_DEFAULTS": {hv: plain(C.HVC_DEFAULTS[hv], "HVC_DEFAULTS/" + hv)
                     for hv in sorted(C.HYPER_TYPES)},
    "HVS_PARAMETER_TYPES": plain(C.HVS_PARAMETER_TYPES, "HVS_PARAMETER_TYPES"),
    "HVC_GLOBALS": sorted(C.HVC_GLOBALS),
    "BEC_DEFAULTS": plain(C.BEC_DEFAULTS, "BEC_DEFAULTS"),
    "BES_PARAMETER_TYPES": plain(C.BES_PARAMETER_TYPES, "BES_PARAMETER_TYPES"),
    "BES_PARAMETER_COMPAT": plain(C.BES_PARAMETER_COMPAT, "BES_PARAMETER_COMPAT"),
    "NICC_DEFAULTS": plain(C.NICC_DEFAULTS, "NICC_DEFAULTS"),
    "NICS_PARAMETER_TYPES": plain(C.NICS_PARAMETER_TYPES, "NICS_PARAMETER_TYPES"),
    "INIC_PARAMS_TYPES": plain(C.INIC_PARAMS_TYPES, "INIC_PARAMS_TYPES"),
    "IDISK_PARAMS_TYPES": plain(C.IDISK_PARAMS_TYPES, "IDISK_PARAMS_TYPES"),
    "VTYPES": {
      "VTYPE_STRING": C.VTYPE_STRING,
      "VTYPE_MAYBE_STRING": C.VTYPE_MAYBE_STRING,
      "VTYPE_BOOL": C.VTYPE_BOOL,
      "VTYPE_SIZE": C.VTYPE_SIZE,
      "VTYPE_INT": C.VTYPE_INT,
      "VTYPE_FLOAT": C.VTYPE_FLOAT,
    },
    "ENFORCEABLE_TYPES": sorted(C.ENFORCEABLE_TYPES),
  }
  tables["FLOAT_DEFAULTS"] = sorted(FLOATS)
  json.dump(tables, sys.stdout, sort_keys=True)
  sys.stdout.write("\n")


if __name__ == "__main__":
  main()
