/** One line of /proc/self/mountinfo: what is mounted where. */
export interface MountEntry {
  /** `major:minor` of the mounted device (anonymous for btrfs and virtual filesystems). */
  dev: string;
  mountPoint: string;
  fsType: string;
  /** The mount source as the kernel reports it (`/dev/sda1`, `tmpfs`, ...). */
  source: string;
}

/** The kernel's octal escapes in /proc path fields (`\040` for a space, `\134` for a backslash) undone. */
export function unescapeProcField(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_m, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/**
 * Parse /proc/self/mountinfo (proc(5)): `id parent major:minor root mountpoint options [optional...] -
 * fstype source superoptions`. Lines that do not have that shape are skipped.
 */
export function parseMountinfo(text: string): MountEntry[] {
  const entries: MountEntry[] = [];
  for (const line of text.split("\n")) {
    const fields = line.split(" ");
    const sep = fields.indexOf("-", 6);
    if (fields.length < 7 || sep < 0 || sep + 2 >= fields.length) continue;
    entries.push({
      dev: fields[2]!,
      mountPoint: unescapeProcField(fields[4]!),
      fsType: unescapeProcField(fields[sep + 1]!),
      source: unescapeProcField(fields[sep + 2]!),
    });
  }
  return entries;
}

/** The file names in /proc/swaps (the first column after the header). */
export function parseSwaps(text: string): string[] {
  return text
    .split("\n")
    .slice(1)
    .map((line) => line.split(/[ \t]+/)[0] ?? "")
    .filter(Boolean)
    .map(unescapeProcField);
}
