/** Ganeti's EXT_PLUGIN_MASK: the names an OS directory may have. */
export const OS_NAME_MASK = /^[a-zA-Z0-9_-]+$/;

/**
 * Ganeti's FindFile name test: `EXT_PLUGIN_MASK.match(name)` in Python, where `$` also matches before a final
 * "\n", so "deb\n" passes (and is then looked up as a directory literally called "deb\n").
 */
export function isValidOsName(name: string): boolean {
  return OS_NAME_MASK.test(name.endsWith("\n") ? name.slice(0, -1) : name);
}

/** Split "<name>+<variant>" on the first "+" (objects.OS.SplitNameVariant); no "+" gives variant "". */
export function splitNameVariant(full: string): { name: string; variant: string } {
  const i = full.indexOf("+");
  return i < 0 ? { name: full, variant: "" } : { name: full.slice(0, i), variant: full.slice(i + 1) };
}
