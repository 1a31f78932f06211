"""Ganeti's own rendering of gnt-instance list/list-fields/info and gnt-job list/info/watch output.

Reads a JSON list of cases on stdin and prints a JSON list of {exitCode, lines, stderr} or {error}. Each
case has a "kind":

  table     cli.FormatTable(rows, columns, header, separator)
  info      cli.PrintGenericInfo(data); data uses {"t": "pairs"|"dict"|"inline"} tags for Python's types
  time      time.ctime / utils.FormatTime / cli.FormatTimestamp of "ts" in zone "tz"
  instlist  gnt_instance.ListInstances over guestos InstanceViews ("views", "opts")
  instfields gnt_instance.ListInstanceFields over the fields guestos defines ("names", "args", "opts")
  instinfo  gnt_instance.ShowInstanceConfig over InstanceViews ("views", "static", "group")
  joblog    cli's progress lines for job log entries ("entries")
  joblist   gnt_job.ListJobs over guestos JobRecords ("jobs", "opts")
  jobinfo   gnt_job.ShowJobs over guestos JobRecords and logs ("items")

The client functions run unchanged; only the luxi client, SubmitOpCode and ToStdout/ToStderr are replaced,
and the query data comes from Ganeti's own query.py field getters over objects built from the views.
"""
import json
import logging
import os
import sys
import time
import types

sys.path.insert(0, "/usr/share/ganeti/default")

from ganeti import cli, constants, mcpu, objects, opcodes, query, utils  # noqa: E402
from ganeti.client import gnt_instance, gnt_job  # noqa: E402
from ganeti.masterd.instance import ComputeDiskSize  # noqa: E402

logging.disable(logging.CRITICAL)

OUT = []
ERR = []


def to_stdout(txt, *args):
    OUT.append(txt % args if args else txt)


def to_stderr(txt, *args):
    ERR.append(txt % args if args else txt)


for mod in (cli, gnt_instance, gnt_job):
    mod.ToStdout = to_stdout
    mod.ToStderr = to_stderr


def set_tz(tz):
    os.environ["TZ"] = tz
    time.tzset()


def decode_info(data):
    if isinstance(data, str):
        return data
    if isinstance(data, list):
        return [decode_info(x) for x in data]
    if data["t"] == "pairs":
        return [tuple([e[0], decode_info(e[1])] + e[2:]) for e in data["e"]]
    if data["t"] == "dict":
        return dict((k, decode_info(v)) for k, v in data["e"].items())
    return tuple(data["i"])


# --- instances ---------------------------------------------------------------------------------------

class FakeCluster(object):
    """FillHV/FillBE/SimpleFillOS/SimpleFillNIC answered from the views' filled parameters."""

    def __init__(self, views):
        self.views = dict((v["uuid"], v) for v in views)
        self.current = None

    def FillHV(self, inst, skip_globals=False):
        self.current = self.views[inst.uuid]
        return dict((k, v) for k, v in sorted(self.current["filled"]["hvparams"].items())
                    if not (skip_globals and k in constants.HVC_GLOBALS))

    def FillBE(self, inst):
        return dict(sorted(self.views[inst.uuid]["filled"]["beparams"].items()))

    def SimpleFillOS(self, _os, _osparams):
        priv = set(self.current["osparamsPrivateKeys"])
        return dict((k, v) for k, v in sorted(self.current["filled"]["osparams"].items()) if k not in priv)

    def SimpleFillNIC(self, nicparams):
        return nicparams


def make_instance(v):
    nics = sorted(zip(v["nics"], v["filled"]["nics"]), key=lambda p: p[0]["index"])
    disks = sorted(v["disks"], key=lambda d: d["index"])
    priv = set(v["osparamsPrivateKeys"])
    inst = objects.Instance(
        name=v["name"], uuid=v["uuid"], os=v["os"], hypervisor=v["hypervisor"],
        primary_node=v["primaryNodeUuid"], admin_state=v["adminState"],
        admin_state_source=constants.ADMIN_SOURCE, disk_template=v["diskTemplate"],
        hvparams=dict(sorted(v["hvparams"].items())), beparams=dict(sorted(v["beparams"].items())),
        osparams=dict((k, x) for k, x in sorted(v["osparams"].items()) if k not in priv),
        ctime=v["ctime"], mtime=v["mtime"], serial_no=v["serialNo"], network_port=None,
        disks_active=False, forthcoming=False, tags=set(v["tags"]), secondary_nodes=[],
        nics=[objects.NIC(mac=n["mac"], ip=n["ip"], name=n["name"], uuid=n["uuid"], network=n["network"],
                          nicparams=dict(f)) for n, f in nics],
        disks=[objects.Disk(dev_type=v["diskTemplate"], size=d["size"], mode=d["mode"], name=d["name"],
                            uuid=d["uuid"], spindles=None) for d in disks])
    return inst


# Tags are a set; the query daemon (Haskell) sends them sorted.
objects.Instance.GetTags = lambda self: sorted(self.tags)

# guestos's two additions, as Ganeti would define them; the values come from the views.
VIEWS = {}


def _guestos_field(name, title, doc, fn):
    fdef = objects.QueryFieldDefinition(name=name, title=title, kind=constants.QFT_TEXT, doc=doc)
    query.INSTANCE_FIELDS[name] = (fdef, query.IQ_CONFIG, 0, lambda ctx, inst: fn(VIEWS[inst.uuid]))


_guestos_field("install", "Install", "Whether the OS is on the disks: installed, pending, failed or skipped",
               lambda v: v["installState"])
_guestos_field("error", "Last_error",
               "First line of the error of the last failed job on the instance, empty if none",
               lambda v: (v["lastError"] or "").split("\n")[0])


def instance_ctx(views):
    VIEWS.update((v["uuid"], v) for v in views)
    cluster = FakeCluster(views)
    insts = [make_instance(v) for v in views]
    usage = dict((v["uuid"], ComputeDiskSize([{constants.IDISK_TYPE: v["diskTemplate"],
                                               constants.IDISK_SIZE: d["size"]} for d in v["disks"]]))
                 for v in views)
    nodes = dict((v["primaryNodeUuid"], objects.Node(name=v["primaryNode"], uuid=v["primaryNodeUuid"]))
                 for v in views)
    return query.InstanceQueryData(insts, cluster, usage, [], [], {}, set(), {}, nodes, {}, {})


def list_opts(o, **extra):
    base = dict(output=o.get("fields"), units=o.get("units"), separator=o.get("separator"),
                no_headers=o.get("noHeaders", False), verbose=o.get("verbose", False), force_filter=False)
    base.update(extra)
    return types.SimpleNamespace(**base)


def run_instlist(case):
    views = case["views"]

    def fake_query(resource, fields, qfilter):
        q = query.Query(query.INSTANCE_FIELDS, fields)
        return objects.QueryResponse(data=q.Query(instance_ctx(views), sort_by_name=False),
                                     fields=q.GetFields())

    gnt_instance.GetClient = lambda: types.SimpleNamespace(Query=fake_query)
    return gnt_instance.ListInstances(list_opts(case["opts"]), [])


def run_instfields(case):
    defs = dict((n, query.INSTANCE_FIELDS[n]) for n in case["names"])

    def fake_query_fields(resource, fields):
        return objects.QueryFieldsResponse.FromDict(query.QueryFields(defs, fields))

    gnt_instance.GetClient = lambda: types.SimpleNamespace(QueryFields=fake_query_fields)
    cli.GetClient = gnt_instance.GetClient
    return gnt_instance.ListInstanceFields(list_opts(case["opts"]), case["args"])


def query_data(v, static, group):
    """What LUInstanceQueryData.Exec returns for one view on a node that runs nothing."""
    block = v["diskTemplate"] == constants.DT_BLOCK
    driver = constants.BLOCKDEV_DRIVER_MANUAL if block else constants.FD_DEFAULT
    priv = v["osparamsPrivateKeys"]
    redacted = dict((k, "<redacted>") for k in priv)
    own_os = dict((k, x) for k, x in v["osparams"].items() if k not in priv)
    own_os.update(redacted)
    actual_os = dict((k, x) for k, x in v["filled"]["osparams"].items() if k not in priv)
    actual_os.update(redacted)
    run_state = None if static else {"up": "down", "down": "down", "offline": "offline"}[v["adminState"]]
    nics = sorted(zip(v["nics"], v["filled"]["nics"]), key=lambda p: p[0]["index"])
    return {
        "name": v["name"], "config_state": v["adminState"], "run_state": run_state,
        "pnode": v["primaryNode"], "pnode_group_uuid": group["uuid"], "pnode_group_name": group["name"],
        "snodes": [], "snodes_group_uuids": [], "snodes_group_names": [], "os": v["os"],
        "nics": [(n["name"], n["uuid"], n["ip"], n["mac"], f["mode"], f["link"], f["vlan"], n["network"],
                  {"name": n["network"]} if n["network"] else None) for n, f in nics],
        "disk_template": v["diskTemplate"],
        "disks": [{"iv_name": "disk/%d" % d["index"], "dev_type": v["diskTemplate"],
                   "logical_id": [driver, d["path"]], "drbd_info": None,
                   "pstatus": None if static else (d["path"], None, None, None, None, False, None),
                   "sstatus": None, "children": [], "mode": d["mode"], "size": d["size"], "spindles": None,
                   "name": d["name"], "uuid": d["uuid"]}
                  for d in sorted(v["disks"], key=lambda d: d["index"])],
        "hypervisor": v["hypervisor"], "network_port": None,
        "hv_instance": v["hvparams"],
        "hv_actual": dict((k, x) for k, x in v["filled"]["hvparams"].items()
                          if k not in constants.HVC_GLOBALS),
        "be_instance": v["beparams"], "be_actual": v["filled"]["beparams"],
        "os_instance": own_os, "os_actual": actual_os,
        "serial_no": v["serialNo"], "mtime": v["mtime"], "ctime": v["ctime"], "uuid": v["uuid"],
        # guestos's own lines, inserted below
        "_install": v["installState"], "_error": v["lastError"],
    }


_ORIG_FORMAT_INFO = gnt_instance._FormatInstanceInfo


def format_info_with_guestos_lines(instance, roman):
    info = _ORIG_FORMAT_INFO(instance, roman)
    at = [k for k, _ in info].index("Operating system") + 1
    extra = [("Install state", instance["_install"])]
    if instance["_error"]:
        extra.append(("Last error", instance["_error"]))
    return info[:at] + extra + info[at:]


def run_instinfo(case):
    gnt_instance._FormatInstanceInfo = format_info_with_guestos_lines
    result = dict((v["name"], query_data(v, case["static"], case["group"])) for v in case["views"])
    gnt_instance.SubmitOpCode = lambda op, opts=None: result
    opts = types.SimpleNamespace(show_all=True, static=case["static"], roman_integers=False)
    return gnt_instance.ShowInstanceConfig(opts, [])


# --- jobs --------------------------------------------------------------------------------------------

def ganeti_messages(entry):
    """The feedback messages Ganeti's LogInfo/LogWarning would emit for a guestos log entry."""
    msgs = []
    fake = types.SimpleNamespace(Log=msgs.append)
    if entry["kind"] == "info":
        mcpu.Processor.LogInfo(fake, entry["text"])
    elif entry["kind"] == "warning":
        kwargs = {} if entry["hint"] is None else {"hint": entry["hint"]}
        mcpu.Processor.LogWarning(fake, entry["text"], **kwargs)
    elif entry["kind"] == "step":
        # guestos's steps are LUInstanceCreate's feedback_fn("* creating instance disks...") lines.
        text = entry["text"]
        msgs.append(text if text.startswith("* ") else "* " + text)
    else:
        msgs.append(entry["text"])
    return msgs


def run_joblog(case):
    reporter = cli.StdioJobPollReportCb()
    for e in case["entries"]:
        for msg in ganeti_messages(e):
            reporter.ReportLogMessage(e["jobId"], 0, utils.SplitTime(e["ts"]), constants.ELOG_MESSAGE, msg)
    return 0


def ts_list(ts):
    return None if ts is None else list(utils.SplitTime(ts))


def op_result(job):
    if job["status"] == "error" and job["error"]:
        err = job["error"]
        return [err["code"], [err["message"]] + ([] if err["hint"] is None else [err["hint"]])]
    if job["status"] == "canceled" and job["result"] is None:
        return "Job canceled by request"
    return job["result"]


def job_row(job, log, fields):
    # guestos sorts the opcode's keys (the order the query daemon sends is not knowable here).
    op = dict(sorted(dict(job["input"], OP_ID="OP_" + job["op"]).items()))
    serial = 0
    oplog = []
    for e in sorted(log, key=lambda x: x["seq"]):
        for msg in ganeti_messages(e):
            serial += 1
            oplog.append([serial, ts_list(e["ts"]), constants.ELOG_MESSAGE, msg])
    values = {
        "id": job["id"], "status": job["status"], "priority": job["priority"], "archived": False,
        "ops": [op], "opresult": [op_result(job)], "opstatus": [job["status"]], "oplog": [oplog],
        "opstart": [ts_list(job["startTs"])], "opexec": [ts_list(job["startTs"])],
        "opend": [ts_list(job["endTs"])], "oppriority": [job["priority"]],
        "summary": [opcodes.OpCode.LoadOpCode(op).Summary()],
        "received_ts": ts_list(job["receivedTs"]), "start_ts": ts_list(job["startTs"]),
        "end_ts": ts_list(job["endTs"]),
    }
    row = []
    for f in fields:
        if f not in query.JOB_FIELDS:
            row.append((constants.RS_UNKNOWN, None))
        elif values[f] is None:
            row.append((constants.RS_UNAVAIL, None))
        else:
            row.append((constants.RS_NORMAL, values[f]))
    return row


def job_fields(fields):
    return [query.JOB_FIELDS[f][0] if f in query.JOB_FIELDS else
            query._MakeField(f, f, constants.QFT_UNKNOWN, "Unknown field '%s'" % f) for f in fields]


def run_joblist(case):
    def fake_query(resource, fields, qfilter):
        return objects.QueryResponse(data=[job_row(j, [], fields) for j in case["jobs"]],
                                     fields=job_fields(fields))

    gnt_job.GetClient = lambda: types.SimpleNamespace(Query=fake_query)
    opts = list_opts(case["opts"], archived=False, status_filter=None)
    return gnt_job.ListJobs(opts, [])


def run_jobinfo(case):
    items = case["items"]

    def fake_query(resource, fields, qfilter):
        data = []
        for it in items:
            if "missing" in it:
                data.append([(constants.RS_NORMAL, it["missing"])] +
                            [(constants.RS_UNAVAIL, None)] * (len(fields) - 1))
            else:
                data.append(job_row(it["job"], it["log"], fields))
        return types.SimpleNamespace(data=data)

    gnt_job.GetClient = lambda: types.SimpleNamespace(Query=fake_query)
    ids = [str(it["missing"]) if "missing" in it else str(it["job"]["id"]) for it in items]
    return gnt_job.ShowJobs(types.SimpleNamespace(), ids)


# --- misc --------------------------------------------------------------------------------------------

def run_table(case):
    cols = [cli.TableColumn(c["title"], str, c["alignRight"]) for c in case["columns"]]
    for line in cli.FormatTable(case["rows"], cols, case["header"], case.get("separator")):
        OUT.append(line)
    return 0


def run_info(case):
    cli.PrintGenericInfo(decode_info(case["data"]))
    return 0


def run_time(case):
    ts = case["ts"]
    OUT.append(time.ctime(ts))
    OUT.append(utils.FormatTime(ts))
    OUT.append(cli.FormatTimestamp(utils.SplitTime(ts)))
    return 0


RUNNERS = {
    "table": run_table, "info": run_info, "time": run_time, "instlist": run_instlist,
    "instfields": run_instfields, "instinfo": run_instinfo, "joblog": run_joblog,
    "joblist": run_joblist, "jobinfo": run_jobinfo,
}


def render(case):
    del OUT[:]
    del ERR[:]
    set_tz(case.get("tz", "UTC"))
    try:
        code = RUNNERS[case["kind"]](case)
    except Exception as err:  # pylint: disable=broad-except
        return {"error": "%s: %s" % (type(err).__name__, err)}
    # ToStdout prints one string that may hold newlines; compare line by line.
    return {"exitCode": code, "lines": "\n".join(OUT).split("\n") if OUT else [], "stderr": list(ERR)}


print(json.dumps([render(c) for c in json.loads(sys.stdin.read())]))
