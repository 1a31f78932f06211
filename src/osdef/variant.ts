import { GuestosError } from "../errors.js";
import { splitNameVariant } from "./names.js";
import type { OsDefinition } from "./types.js";

/** Ganeti's _CheckOSVariant: the "+variant" of `full` must be one `os` lists; throws OS_VARIANT otherwise. */
export function checkVariant(os: OsDefinition, full: string): void {
  const { variant } = splitNameVariant(full);
  if (os.variants.length === 0) {
    if (variant === "") return;
    throw new GuestosError("OS_VARIANT", `OS '${os.name}' does not support variants ('${variant}' passed)`);
  }
  if (variant === "") throw new GuestosError("OS_VARIANT", `OS name '${full}' must include a variant`);
  if (!os.variants.includes(variant)) {
    throw new GuestosError("OS_VARIANT", `OS '${os.name}' does not support variant '${variant}'`);
  }
}
