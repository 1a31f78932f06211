/**
 * guestos's instance and job renderers against Ganeti's own client code (oracle/gnt_render.py): the same
 * data through gnt_instance.ListInstances, ListInstanceFields, ShowInstanceConfig and gnt_job.ListJobs,
 * ShowJobs and the job poller, compared byte for byte.
 *
 * Deliberate differences, kept out of these cases and covered by the unit tests: a multi-line `Last error`
 * (guestos indents its continuation lines), and `job list --separator` with opstart/opexec/opend (Ganeti
 * crashes on them).
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { renderInstanceInfo } from "../../src/cli/instinfo.js";
import { INSTANCE_FIELDS } from "../../src/cli/instfields.js";
import { renderInstanceList, renderInstanceListFields } from "../../src/cli/instlist.js";
import { formatLogLine, renderJobInfo, renderJobList, type JobInfoItem } from "../../src/cli/jobrender.js";
import type { ListResult } from "../../src/cli/query.js";
import { disk, job, logEntry, nic, view } from "../fixtures/views.js";
import { ganetiRender, type RenderAnswer } from "./oracle.js";

const TZ = "Europe/Berlin";

const web1 = view({ tags: ["web", "Prod", "a,b"] });
const db = view({
  name: "db.example.com",
  uuid: "5f3c0000-0000-4000-8000-000000000002",
  adminState: "up",
  installState: "failed",
  lastError: "OS create script failed (exited with exit code 1)",
  diskTemplate: "blockdev",
  hvparams: { acpi: false, kernel_args: "ro console=ttyS0" },
  beparams: { maxmem: 2048, auto_balance: false },
  osparams: {},
  osparamsPrivateKeys: ["password"],
  disks: [
    disk(0, { path: "/dev/sdb", size: 2097152, name: "data", adopted: true }),
    disk(1, { path: "/dev/it's", size: 1000 }),
  ],
  nics: [
    nic(0, { ip: "10.0.0.1", name: "eth0", network: "lan" }),
    nic(1, { mode: "openvswitch", vlan: ".100" }),
  ],
  filled: {
    hvparams: {
      acpi: false,
      kernel_args: "ro console=ttyS0",
      usb_devices: ["x", "y"],
      serial_speed: 115200,
      cdrom_image_path: null,
    },
    beparams: {
      always_failover: false,
      auto_balance: false,
      maxmem: 2048,
      minmem: 512,
      spindle_use: 1,
      vcpus: 2,
    },
    osparams: { filesystem: "ext4", mirror: "http://deb.debian.org/debian" },
    nics: [
      { mode: "routed", link: "rt", vlan: "" },
      { mode: "openvswitch", link: "ovs0", vlan: ".100" },
    ],
  },
});
const off = view({
  name: "off.example.com",
  uuid: "5f3c0000-0000-4000-8000-000000000003",
  adminState: "offline",
  installState: "skipped",
  diskTemplate: "diskless",
  disks: [],
  nics: [],
  filled: { ...view().filled, nics: [] },
});
const VIEWS = [web1, db, off];

/** What the CLI prints: the lines, the exit code and the unknown-field warning, as Ganeti's client does. */
function asRun(r: ListResult): RenderAnswer {
  return {
    exitCode: r.unknownFields.length > 0 ? 14 : 0,
    lines: r.lines.join("\n").split("\n"),
    stderr:
      r.unknownFields.length > 0 ? [`Warning: Queried for unknown fields ${r.unknownFields.join(", ")}`] : [],
  };
}

const theirOut = (a: RenderAnswer): RenderAnswer => {
  assert.equal(a.error, undefined, a.error);
  return { exitCode: a.exitCode!, lines: a.lines!, stderr: a.stderr! };
};

describe("instance list and list-fields, against gnt-instance", () => {
  test("default and chosen fields, every field, units, separators, -v, unknown fields", (t) => {
    const all = [...INSTANCE_FIELDS.keys()].join(",");
    const fieldSets = [
      undefined,
      "+install,error,tags,disk.sizes,nic.macs,nic.ips,nic.bridges",
      all,
      "name,bogus,sda_size,disk_usage",
    ];
    const optSets = [
      {},
      { separator: "|" },
      { units: "g" as const },
      { units: "t" as const, separator: ":" },
      { noHeaders: true, verbose: true },
    ];
    const cases: { opts: object; mine: RenderAnswer }[] = [];
    for (const fields of fieldSets) {
      for (const o of optSets) {
        const opts = { ...o, ...(fields === undefined ? {} : { fields }) };
        cases.push({ opts, mine: asRun(renderInstanceList(VIEWS, { ...opts, timeZone: TZ })) });
      }
    }
    const theirs = ganetiRender(
      t,
      cases.map((c) => ({ kind: "instlist", views: VIEWS, opts: c.opts, tz: TZ })),
    );
    if (!theirs) return;
    cases.forEach((c, i) => assert.deepEqual(c.mine, theirOut(theirs[i]!), JSON.stringify(c.opts)));
  });

  test("list-fields: all of guestos's fields, and chosen ones", (t) => {
    const names = [...INSTANCE_FIELDS.keys()];
    const cases = [
      { args: [], opts: {} },
      { args: ["name", "bogus", "vcpus", "hv/acpi"], opts: { separator: ";" } },
      { args: ["status", "install"], opts: { noHeaders: true } },
    ];
    const theirs = ganetiRender(
      t,
      cases.map((c) => ({ kind: "instfields", names, ...c })),
    );
    if (!theirs) return;
    cases.forEach((c, i) => {
      assert.deepEqual(
        asRun(renderInstanceListFields(c.args, c.opts)),
        theirOut(theirs[i]!),
        JSON.stringify(c),
      );
    });
  });
});

describe("instance info, against gnt-instance info", () => {
  test("live and --static, file, blockdev and diskless instances", (t) => {
    const group = { name: "default", uuid: "0a1b0000-0000-4000-8000-000000000009" };
    const theirs = ganetiRender(t, [
      { kind: "instinfo", views: VIEWS, static: false, group, tz: TZ },
      { kind: "instinfo", views: VIEWS, static: true, group, tz: TZ },
    ]);
    if (!theirs) return;
    [false, true].forEach((isStatic, i) => {
      const mine = renderInstanceInfo(VIEWS, { static: isStatic, group, timeZone: TZ });
      assert.deepEqual({ exitCode: 0, lines: mine, stderr: [] }, theirOut(theirs[i]!));
    });
  });
});

const failed = job({
  id: 10,
  op: "INSTANCE_REINSTALL",
  status: "error",
  receivedTs: 1606399499.999999,
  startTs: 1606399500.25,
  endTs: 1606399501.75,
  priority: -10,
  input: {
    instance_name: "web1.example.com",
    os_type: null,
    force_variant: false,
    osparams: {},
    reason: [["gnt:client:gnt-instance", "reinstall", 1606399499999999000]],
  },
  error: {
    code: "OS_CREATE_FAILED",
    message: "Could not install OS for instance 'web1' on node 'n'",
    hint: null,
  },
  result: null,
});
const JOBS = [
  job(),
  failed,
  job({
    id: 11,
    op: "INSTANCE_RENAME",
    status: "queued",
    startTs: null,
    endTs: null,
    result: null,
    input: { instance_name: "web1.example.com", new_name: "web2" },
  }),
  job({
    id: 12,
    op: "CLUSTER_SET_PARAMS",
    target: null,
    status: "running",
    endTs: null,
    result: null,
    input: { osparams: { noop: { a: "1" } } },
  }),
  job({
    id: 13,
    op: "BACKUP_EXPORT",
    status: "canceled",
    result: null,
    input: { instance_name: "web1.example.com", target_node: "n" },
  }),
  job({
    id: 14,
    op: "INSTANCE_REMOVE",
    status: "error",
    result: null,
    error: { code: "X", message: "m", hint: "h" },
    input: { instance_name: "web1.example.com" },
  }),
];
const LOG = [
  logEntry(1, { kind: "step", text: "creating instance disks..." }),
  logEntry(2, { kind: "info", text: "Resolved given name 'web1' to 'web1.example.com'" }),
  logEntry(3, { kind: "warning", text: "careful", hint: "try again" }),
  logEntry(4, { kind: "warning", text: "", hint: "only a hint" }),
  logEntry(5, { text: "adding instance web1.example.com to cluster config" }),
  logEntry(6, { text: "tab\there, newline\nthere, é, \r and \x01" }),
  logEntry(7, { kind: "step", text: "* running the instance OS create scripts..." }),
];

describe("jobs, against gnt-job", () => {
  test("job list: default, chosen and all fields, -v, unknown fields", (t) => {
    const every =
      "id,status,summary,priority,received_ts,start_ts,end_ts,ops,opresult,opstatus,opstart,opexec,opend,oppriority,archived,bogus";
    const cases = [
      {},
      { separator: "|" },
      { noHeaders: true },
      { fields: every },
      { fields: every, noHeaders: true, verbose: true },
      { fields: "+priority,received_ts,start_ts,end_ts", separator: ":" },
    ];
    const theirs = ganetiRender(
      t,
      cases.map((opts) => ({ kind: "joblist", jobs: JOBS, opts, tz: TZ })),
    );
    if (!theirs) return;
    cases.forEach((opts, i) => {
      assert.deepEqual(
        asRun(renderJobList(JOBS, { ...opts, timeZone: TZ })),
        theirOut(theirs[i]!),
        JSON.stringify(opts),
      );
    });
  });

  test("job info: a job with its log, a missing id, every status", (t) => {
    const items: JobInfoItem[] = [
      { job: JOBS[0]!, log: LOG },
      { missing: 8 },
      ...JOBS.slice(1).map((j) => ({ job: j, log: [] })),
    ];
    const theirs = ganetiRender(t, [{ kind: "jobinfo", items, tz: TZ }]);
    if (!theirs) return;
    assert.deepEqual(
      { exitCode: 0, lines: renderJobInfo(items, { timeZone: TZ }), stderr: [] },
      theirOut(theirs[0]!),
    );
  });

  test("progress lines, as the job poller prints them", (t) => {
    const theirs = ganetiRender(t, [{ kind: "joblog", entries: LOG, tz: TZ }]);
    if (!theirs) return;
    const mine = LOG.flatMap((e) => formatLogLine(e, { timeZone: TZ }));
    assert.deepEqual({ exitCode: 0, lines: mine, stderr: [] }, theirOut(theirs[0]!));
  });
});
