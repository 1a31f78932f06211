import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";

import {
  bytesToMebibyte,
  formatGanetiProgress,
  formatProgress,
  formatSeconds,
  progressMeter,
  pyFixed,
  pyRound,
} from "./progress.js";
import { renderProgressBar } from "./progressbar.js";

const MiB = 1024 * 1024;

describe("Ganeti's progress format", () => {
  // Expected strings printed by Ganeti 3.0's masterd.instance.FormatProgress for the same tuples.
  const cases: [[number, number, number | null, number | null], string][] = [
    [[0, 0.0, null, null], "0M, 0.0 MiB/s"],
    [[512, 25.0, 50.0, 10.4], "512M, 25.0 MiB/s, 50%, ETA 10s"],
    [[1023, 0.25, 99.99, 0.5], "1023M, 0.2 MiB/s, 99%, ETA 0s"],
    [[1024, 0.35, 100, 1.5], "1.0G, 0.3 MiB/s, 100%, ETA 2s"],
    [[1536, 0.75, 33.3, 2.5], "1.5G, 0.8 MiB/s, 33%, ETA 2s"],
    [[1048575, 1234.56, null, 90061.5], "1024.0G, 1234.6 MiB/s, ETA 1d 1h 1m 2s"],
    [[3145728, 12.05, 7.9, 3600], "3.0T, 12.1 MiB/s, 7%, ETA 1h 0m 0s"],
    [[2047, 0.15, 0.0, 59.5], "2.0G, 0.1 MiB/s, 0%, ETA 1m 0s"],
    [[5, 0.05, null, 86399.5], "5M, 0.1 MiB/s, ETA 1d 0h 0m 0s"],
  ];
  for (const [[mbytes, throughput, percent, eta], expected] of cases) {
    test(`FormatProgress(${mbytes}, ${throughput}, ${percent}, ${eta})`, () => {
      assert.equal(formatGanetiProgress({ mbytes, throughput, percent, eta }), expected);
    });
  }

  test("BytesToMebibyte and FormatSeconds round half to even, as Python 3", () => {
    const mib: [number, number][] = [
      [0, 0],
      [524288, 0],
      [1572864, 2],
      [2621440, 2],
      [1048575, 1],
      [11010048, 10],
    ];
    for (const [b, m] of mib) assert.equal(bytesToMebibyte(b), m, `${b}`);
    const secs: [number, string][] = [
      [0, "0s"],
      [0.5, "0s"],
      [1.5, "2s"],
      [2.5, "2s"],
      [59.5, "1m 0s"],
      [60, "1m 0s"],
      [3599.5, "1h 0m 0s"],
      [86400, "1d 0h 0m 0s"],
      [90061, "1d 1h 1m 1s"],
      [1e6, "11d 13h 46m 40s"],
    ];
    for (const [s, text] of secs) assert.equal(formatSeconds(s), text, `${s}`);
  });

  test("pyRound and pyFixed agree with toFixed except on exact ties", () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1e9, noNaN: true }), (x) => {
        const r = pyRound(x);
        assert.ok(Math.abs(r - x) <= 0.5);
        if (Math.abs(r - x) === 0.5) assert.equal(r % 2, 0);
        if (!Number.isInteger(x * 4)) assert.equal(pyFixed(x, 1), x.toFixed(1));
      }),
    );
  });

  test("formatProgress: bytes of a total over the elapsed time", () => {
    assert.equal(formatProgress(512 * MiB, 1024 * MiB, 20_480), "512M, 25.0 MiB/s, 50%, ETA 20s");
    assert.equal(formatProgress(3 * MiB, null, 2000), "3M, 1.5 MiB/s");
    assert.equal(formatProgress(0, 100 * MiB, 0), "0M, 0.0 MiB/s, 0%");
    assert.equal(formatProgress(5 * MiB, 0, 1000), "5M, 5.0 MiB/s, ETA 0s");
  });

  test("progressMeter: throughput over the window only", () => {
    const m = progressMeter(1000 * MiB, { windowMs: 10_000 });
    m.sample(0, 0);
    assert.equal(formatGanetiProgress(m.sample(100 * MiB, 10_000)), "100M, 10.0 MiB/s, 10%, ETA 1m 30s");
    // The first sample leaves the window: 400 MiB in the last 10 s.
    assert.equal(formatGanetiProgress(m.sample(500 * MiB, 20_000)), "500M, 40.0 MiB/s, 50%, ETA 12s");
  });
});

describe("renderProgressBar", () => {
  test("a bar, percent, amounts, rate and ETA on one \\r line of the terminal's width", () => {
    const line = renderProgressBar(512 * MiB, { total: 1024 * MiB, elapsedMs: 20_480, label: "disk/0" });
    assert.equal(line.length, 80);
    assert.equal(
      line.trimEnd(),
      "\rdisk/0 [##################------------------]  50% 512M/1.0G 25.0 MiB/s ETA 20s",
    );
  });

  test("without a total: only the amount and the rate; done: no ETA", () => {
    assert.equal(
      renderProgressBar(3 * MiB, { elapsedMs: 2000, width: 40 }),
      `\r${"3M 1.5 MiB/s".padEnd(39)}`,
    );
    const done = renderProgressBar(MiB, { total: MiB, elapsedMs: 1000, done: true, label: "disk/1" });
    assert.match(done, /^\rdisk\/1 \[#+\] 100% 1M\/1M 1\.0 MiB\/s +$/);
  });

  test("never wider than the terminal", () => {
    fc.assert(
      fc.property(
        fc.nat(),
        fc.option(fc.nat()),
        fc.nat(),
        fc.integer({ min: 1, max: 300 }),
        fc.string(),
        (bytes, total, elapsedMs, width, label) => {
          const line = renderProgressBar(bytes, { total, elapsedMs, width, label });
          assert.ok(line.startsWith("\r"));
          assert.equal(line.length, Math.max(20, width));
        },
      ),
    );
  });
});
