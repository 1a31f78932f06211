/** What listings, logs and job records show instead of a private or secret value. */
export const REDACTED = "<redacted>";

/** The same keys with every value masked. */
export function maskParams(params: Record<string, string> | undefined): Record<string, string> {
  return Object.fromEntries(Object.keys(params ?? {}).map((k) => [k, REDACTED]));
}
