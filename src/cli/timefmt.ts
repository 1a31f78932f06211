/*
 * Ganeti's local-time renderings (time.ctime, utils.FormatTime, cli.FormatTimestamp). The zone is an
 * explicit option, defaulting to the system's, so output is testable without touching process.env.TZ.
 */

/** Where to render local times: an IANA zone such as "UTC"; undefined means the system's zone. */
export interface TimeOpts {
  timeZone?: string | undefined;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string | undefined): Intl.DateTimeFormat {
  const key = timeZone ?? "";
  let f = formatters.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    formatters.set(key, f);
  }
  return f;
}

interface Broken {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

/** Python's time.localtime(sec): whole seconds, rounded down like CPython does. */
function localtime(sec: number, opts: TimeOpts): Broken {
  const out: Record<string, number> = {};
  for (const p of formatter(opts.timeZone).formatToParts(new Date(Math.floor(sec) * 1000))) {
    if (p.type !== "literal") out[p.type] = Number(p.value);
  }
  return {
    year: out.year ?? 0,
    month: out.month ?? 0,
    day: out.day ?? 0,
    hour: out.hour ?? 0,
    minute: out.minute ?? 0,
    second: out.second ?? 0,
  };
}

const two = (n: number): string => String(n).padStart(2, "0");
const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** Python's time.ctime(ts): `Thu Nov  5 04:06:53 2020`, the day of the month padded with a space. */
export function ctime(ts: number, opts: TimeOpts = {}): string {
  const t = localtime(ts, opts);
  const weekday = new Date(Date.UTC(t.year, t.month - 1, t.day)).getUTCDay();
  const day = String(t.day).padStart(2, " ");
  return `${DAYS[weekday]} ${MONTHS[t.month - 1]} ${day} ${two(t.hour)}:${two(t.minute)}:${two(t.second)} ${t.year}`;
}

/** Ganeti's utils.FormatTime: `YYYY-MM-DD HH:MM:SS` local time, `.uuuuuu` appended when usecs is given. */
export function formatTime(ts: number | null | undefined, opts: TimeOpts & { usecs?: number } = {}): string {
  if (ts === null || ts === undefined || !Number.isFinite(ts)) return "N/A";
  const t = localtime(ts, opts);
  let out = `${t.year}-${two(t.month)}-${two(t.day)} ${two(t.hour)}:${two(t.minute)}:${two(t.second)}`;
  if (opts.usecs !== undefined) out += `.${String(opts.usecs).padStart(6, "0")}`;
  return out;
}

/** Ganeti's utils.SplitTime: float seconds to (seconds, microseconds), truncating like int(). */
export function splitTime(ts: number): [number, number] {
  const total = Math.trunc(ts * 1000000);
  const sec = Math.floor(total / 1000000);
  return [sec, total - sec * 1000000];
}

/** Ganeti's cli.FormatTimestamp of a job time: `YYYY-MM-DD HH:MM:SS.uuuuuu`, `?` when there is none. */
export function formatTimestamp(ts: number | null | undefined, opts: TimeOpts = {}): string {
  if (ts === null || ts === undefined) return "?";
  const [sec, usecs] = splitTime(ts);
  return formatTime(sec, { ...opts, usecs });
}
