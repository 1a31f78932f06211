import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { job, logEntry } from "../../test/fixtures/views.js";
import {
  formatLogLine,
  jobSummary,
  logMessages,
  renderJobInfo,
  renderJobList,
  renderJobListFields,
  safeEncode,
  watchHeader,
} from "./jobrender.js";

const UTC = { timeZone: "UTC" };

describe("formatLogLine", () => {
  test("time.ctime, then the message with Ganeti's prefixes", () => {
    const at = { ts: 1604549213.9 };
    assert.deepEqual(
      formatLogLine(logEntry(1, { ...at, text: "adding instance web1 to cluster config" }), UTC),
      ["Thu Nov  5 04:06:53 2020 adding instance web1 to cluster config"],
    );
    assert.deepEqual(
      formatLogLine(logEntry(1, { ...at, kind: "step", text: "creating instance disks..." }), UTC),
      ["Thu Nov  5 04:06:53 2020 * creating instance disks..."],
    );
    assert.deepEqual(
      formatLogLine(logEntry(1, { ...at, kind: "info", text: "Running instance OS create scripts..." }), UTC),
      ["Thu Nov  5 04:06:53 2020  - INFO: Running instance OS create scripts..."],
    );
    assert.deepEqual(
      formatLogLine(logEntry(1, { ...at, kind: "warning", text: "Could not run", hint: "check it" }), UTC),
      ["Thu Nov  5 04:06:53 2020  - WARNING: Could not run", "Thu Nov  5 04:06:53 2020       Hint: check it"],
    );
  });

  test("a step that already has its star keeps one; a warning without text shows the hint alone", () => {
    assert.deepEqual(logMessages(logEntry(1, { kind: "step", text: "* wiping instance disks..." })), [
      "* wiping instance disks...",
    ]);
    assert.deepEqual(logMessages(logEntry(1, { kind: "warning", text: "", hint: "h" })), ["      Hint: h"]);
    assert.deepEqual(logMessages(logEntry(1, { kind: "warning", text: "w" })), [" - WARNING: w"]);
  });

  test("messages are SafeEncoded: escapes for control and non-ASCII characters", () => {
    assert.equal(safeEncode("a\tb\nc\rd\x1be\x7f"), "a\\tb\\nc\\'rd\\x1be\\x7f");
    assert.equal(safeEncode("é€😀"), "\\xe9\\u20ac\\U0001f600");
    assert.equal(safeEncode("it's \\ fine"), "it's \\ fine");
  });
});

describe("watchHeader", () => {
  test("a rule as long as the line", () => {
    // "-" * len(msg): 26 dashes (the conventions' example shows 25).
    assert.deepEqual(watchHeader(42), ["Output from job 42 follows", "--------------------------"]);
    assert.equal(watchHeader(1234)[1]!.length, "Output from job 1234 follows".length);
  });
});

describe("jobSummary", () => {
  test("OP(target), except for ops without a description field", () => {
    assert.equal(jobSummary(job()), "INSTANCE_CREATE(web1.example.com)");
    assert.equal(jobSummary(job({ op: "INSTANCE_RENAME" })), "INSTANCE_RENAME");
    assert.equal(jobSummary(job({ op: "OS_DIAGNOSE" })), "OS_DIAGNOSE");
    assert.equal(jobSummary(job({ op: "CLUSTER_SET_PARAMS", target: "noop" })), "CLUSTER_SET_PARAMS");
    assert.equal(jobSummary(job({ op: "BACKUP_REMOVE" })), "BACKUP_REMOVE(web1.example.com)");
  });
});

const failed = job({
  id: 10,
  op: "INSTANCE_REINSTALL",
  status: "error",
  receivedTs: 1606399499.999999,
  startTs: 1606399500.25,
  endTs: 1606399501.75,
  input: { instance_name: "web1.example.com", os_type: null, osparams: {} },
  result: null,
  error: { code: "OS_CREATE_FAILED", message: "OS create script failed", hint: "see the log" },
  priority: -10,
});

describe("renderJobList", () => {
  test("default fields, right-aligned ids", () => {
    assert.deepEqual(renderJobList([job({ id: 9 }), failed]), {
      lines: [
        "ID Status  Summary",
        " 9 success INSTANCE_CREATE(web1.example.com)",
        "10 error   INSTANCE_REINSTALL(web1.example.com)",
      ],
      unknownFields: [],
    });
  });

  test("timestamps raw as [seconds, microseconds], `-` when unset", () => {
    const queued = job({ id: 11, status: "queued", startTs: null, endTs: null });
    const r = renderJobList([failed, queued], {
      fields: "id,priority,received_ts,start_ts,end_ts",
      separator: "|",
    });
    assert.deepEqual(r.lines, [
      "ID|Priority|Received|Start|End",
      "10|-10|[1606399499, 999999]|[1606399500, 250000]|[1606399501, 750000]",
      "11|0|[1606399391, 500000]|-|-",
    ]);
  });

  test("unknown fields are reported", () => {
    assert.deepEqual(renderJobList([job()], { fields: "+bogus", noHeaders: true }), {
      lines: ["7 success INSTANCE_CREATE(web1.example.com) ??"],
      unknownFields: ["bogus"],
    });
  });

  test("list-fields", () => {
    assert.deepEqual(renderJobListFields(["id", "end_ts"]).lines, [
      "Name   Type   Title Description",
      "id     Number ID    Job ID",
      "end_ts Custom End   Timestamp of job end (tuple containing seconds and microseconds)",
    ]);
  });
});

describe("renderJobInfo", () => {
  test("gnt-job info's layout: aligned timestamps, deltas, sorted input, the log", () => {
    const log = [
      logEntry(1, { kind: "step", text: "creating instance disks..." }),
      logEntry(2, { kind: "warning", text: "careful", hint: "try again" }),
    ];
    assert.deepEqual(renderJobInfo([{ job: job(), log }], UTC), [
      "- Job ID: 7",
      "  Status: success",
      "  Received:         2020-11-26 14:03:11.500000",
      "  Processing start: 2020-11-26 14:03:12.000000 (delta 0.500000s)",
      "  Processing end:   2020-11-26 14:03:20.001000 (delta 8.001000s)",
      "  Total processing time: 8.501000 seconds",
      "  Opcodes: ",
      "    - Opcode: OP_INSTANCE_CREATE",
      "      Status: success",
      "      Processing start: 2020-11-26 14:03:12.000000",
      "      Execution start:  2020-11-26 14:03:12.000000",
      "      Processing end:   2020-11-26 14:03:20.001000",
      "      Input fields: ",
      "        OP_ID: OP_INSTANCE_CREATE",
      "        disks: ",
      "          - size: 1024",
      "        instance_name: web1.example.com",
      "        os_type: noop",
      "      Result: ",
      "        - node1.example.com",
      "      Execution log: ",
      "        - Time: 2020-11-26 14:03:13.100000",
      "          Content: [1, message, * creating instance disks...]",
      "        - Time: 2020-11-26 14:03:14.100000",
      "          Content: [2, message,  - WARNING: careful]",
      "        - Time: 2020-11-26 14:03:14.100000",
      "          Content: [3, message,       Hint: try again]",
    ]);
  });

  test("a failed job's result is its encoded error; an unknown id is reported in place", () => {
    const lines = renderJobInfo([{ missing: 8 }, { job: failed, log: [] }], UTC);
    assert.equal(lines[0], "- Job ID 8 not found");
    assert.deepEqual(lines.slice(-10), [
      "      Input fields: ",
      "        OP_ID: OP_INSTANCE_REINSTALL",
      "        instance_name: web1.example.com",
      "        os_type: None",
      "        osparams: ",
      "      Result: ",
      "        - OS_CREATE_FAILED",
      "        - - OS create script failed",
      "          - see the log",
      "      Execution log: ",
    ]);
  });

  test("an unfinished job: unknown and N/A times, no total", () => {
    const lines = renderJobInfo(
      [{ job: job({ status: "queued", startTs: null, endTs: null, result: null }), log: [] }],
      UTC,
    );
    assert.deepEqual(lines.slice(1, 6), [
      "  Status: queued",
      "  Received:         2020-11-26 14:03:11.500000",
      "  Processing start: unknown (None)",
      "  Processing end:   unknown (None)",
      "  Total processing time: N/A",
    ]);
    assert.ok(lines.includes("      Execution start:  N/A"));
    assert.ok(lines.includes("      Result: None"));
  });

  test("a canceled job without a result says so", () => {
    const lines = renderJobInfo([{ job: job({ status: "canceled", result: null }), log: [] }], UTC);
    assert.ok(lines.includes("      Result: Job canceled by request"));
  });
});
