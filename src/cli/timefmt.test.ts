import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { ganetiRender } from "../../test/cli/oracle.js";
import { ctime, formatTime, formatTimestamp, splitTime } from "./timefmt.js";

// Each case: [timestamp, zone, time.ctime, utils.FormatTime, cli.FormatTimestamp(SplitTime(ts))].
const CASES: [number, string, string, string, string][] = [
  [1604549213.25, "UTC", "Thu Nov  5 04:06:53 2020", "2020-11-05 04:06:53", "2020-11-05 04:06:53.250000"],
  [
    1604549213.25,
    "Europe/Berlin",
    "Thu Nov  5 05:06:53 2020",
    "2020-11-05 05:06:53",
    "2020-11-05 05:06:53.250000",
  ],
  [
    1606399392.481234,
    "America/New_York",
    "Thu Nov 26 09:03:12 2020",
    "2020-11-26 09:03:12",
    "2020-11-26 09:03:12.481234",
  ],
  // Summer time, and a fraction just under the next second (floored, never rounded up).
  [
    1593561599.9999995,
    "Europe/Berlin",
    "Wed Jul  1 01:59:59 2020",
    "2020-07-01 01:59:59",
    "2020-07-01 01:59:59.999999",
  ],
  [0, "UTC", "Thu Jan  1 00:00:00 1970", "1970-01-01 00:00:00", "1970-01-01 00:00:00.000000"],
  // Midnight prints as 00, never 24.
  [1609459200, "UTC", "Fri Jan  1 00:00:00 2021", "2021-01-01 00:00:00", "2021-01-01 00:00:00.000000"],
  [
    1700000000.000001,
    "Asia/Kolkata",
    "Wed Nov 15 03:43:20 2023",
    "2023-11-15 03:43:20",
    "2023-11-15 03:43:20.000001",
  ],
];

describe("ctime, formatTime, formatTimestamp", () => {
  for (const [ts, timeZone, c, f, stamp] of CASES) {
    test(`${ts} in ${timeZone}`, () => {
      assert.equal(ctime(ts, { timeZone }), c);
      assert.equal(formatTime(ts, { timeZone }), f);
      assert.equal(formatTimestamp(ts, { timeZone }), stamp);
    });
  }

  test("no time: N/A and ?", () => {
    assert.equal(formatTime(null), "N/A");
    assert.equal(formatTimestamp(null), "?");
  });

  test("splitTime truncates like int()", () => {
    assert.deepEqual(splitTime(1606399392.481234), [1606399392, 481234]);
    assert.deepEqual(splitTime(5), [5, 0]);
  });

  test("without a zone, the system's is used", () => {
    assert.equal(
      ctime(1604549213),
      ctime(1604549213, { timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone }),
    );
  });

  test("agrees with Python's time.ctime, FormatTime and FormatTimestamp under TZ", (t) => {
    const theirs = ganetiRender(
      t,
      CASES.map(([ts, tz]) => ({ kind: "time", ts, tz })),
    );
    if (!theirs) return;
    CASES.forEach(([ts, tz, c, f, stamp], i) =>
      assert.deepEqual(theirs[i]!.lines, [c, f, stamp], `${ts} ${tz}`),
    );
  });
});
