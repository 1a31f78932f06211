/**
 * Apply `-O`-style changes to stored OS parameters: a value replaces, the value `default` (exact, as
 * Ganeti's modify treats OS parameters) or null removes the key so the node's default applies again.
 */
export function updateOsParams(
  current: Record<string, string>,
  changes: Record<string, string | null> | undefined,
): Record<string, string> {
  const out = { ...current };
  for (const [k, v] of Object.entries(changes ?? {})) {
    if (v === null || v === "default") delete out[k];
    else out[k] = v;
  }
  return out;
}
