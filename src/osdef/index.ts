// The public face of src/osdef: OS definitions on disk, read and judged exactly as Ganeti does.
export type { OsDefinition, OsParameter, OsScriptName, OsVerdict } from "./types.js";
export { OS_SCRIPTS, SUPPORTED_API_VERSIONS } from "./types.js";
export { DEFAULT_SEARCH_PATH, searchPathFrom } from "./searchpath.js";
export { OS_NAME_MASK, isValidOsName, splitNameVariant } from "./names.js";
export { parseApiVersionFile } from "./apiversion.js";
export { parseParametersList, parseVariantsList } from "./lists.js";
export { loadOs } from "./load.js";
export { type CatalogEntry, diagnose, diagnoseRaw, findOs } from "./catalog.js";
export { checkVariant } from "./variant.js";
export { checkParameters, validateOs } from "./validate.js";
export { niceSort } from "./nicesort.js";
