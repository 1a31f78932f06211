"""Ganeti's own gnt-os list/diagnose/info output for a given node DiagnoseOS payload.

Reads a JSON list of cases on stdin; each case has command (list|diagnose|info), node, payload (backend
DiagnoseOS tuples), hidden, blacklisted, noHeaders and args. The client functions of gnt_os.py run unchanged:
only SubmitOpCode is replaced by Ganeti's own OsQuery over a one-node fake cluster, and ToStdout collects the
lines. Prints a JSON list of {exitCode, lines} or {error} (an upstream crash).
"""
import json
import sys
import types

sys.path.insert(0, "/usr/share/ganeti/default")

from ganeti.client import gnt_os  # noqa: E402
from ganeti.cmdlib.operating_system import LUOsDiagnose, OsQuery  # noqa: E402


def query(case, fields):
    res = types.SimpleNamespace(fail_msg=None, payload=[tuple(p) for p in case["payload"]])
    cluster = types.SimpleNamespace(hidden_os=case["hidden"], blacklisted_os=case["blacklisted"],
                                    os_hvp={}, osparams={})
    node = types.SimpleNamespace(uuid=case["node"], offline=False, vm_capable=True)
    lu = types.SimpleNamespace(
        cfg=types.SimpleNamespace(GetAllNodesInfo=lambda: {case["node"]: node},
                                  GetClusterInfo=lambda: cluster),
        rpc=types.SimpleNamespace(call_os_diagnose=lambda uuids: {u: res for u in uuids}))
    oq = OsQuery(LUOsDiagnose._BuildFilter(fields, []), fields, False)
    oq.ExpandNames(lu)
    return oq.OldStyleQuery(lu)


def render(case):
    out = []

    def to_stdout(fmt, *args):
        out.append(fmt % args if args else fmt)

    gnt_os.ToStdout = to_stdout
    gnt_os.SubmitOpCode = lambda op, opts=None: query(case, op.output_fields)
    opts = types.SimpleNamespace(no_headers=case.get("noHeaders", False))
    fn = {"diagnose": gnt_os.DiagnoseOS, "list": gnt_os.ListOS, "info": gnt_os.ShowOSInfo}[case["command"]]
    try:
        code = fn(opts, list(case.get("args", [])))
    except Exception as err:  # pylint: disable=broad-except
        return {"error": "%s: %s" % (type(err).__name__, err)}
    return {"exitCode": code, "lines": out}


print(json.dumps([render(c) for c in json.loads(sys.stdin.read())]))
