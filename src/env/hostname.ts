const LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

/** True for a host name: dot-separated labels of [A-Za-z0-9-], no dash at either end, ≤63 each, ≤255 in all. */
export function isValidHostname(name: string): boolean {
  return name.length <= 255 && name.split(".").every((label) => LABEL.test(label));
}
