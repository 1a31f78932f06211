// One OS definition directory, checked exactly as Ganeti's _TryOSFromDisk does, first failure wins.
import type { Stats } from "node:fs";
import { resolve } from "node:path";
import { apiMismatchHint, apiMismatchMessage, parseApiVersionsExact, supportedOf } from "./apiversion.js";
import { isDir, probe, readBytes } from "./fsread.js";
import { parseParametersList, parseVariantsList } from "./lists.js";
import { isValidOsName } from "./names.js";
import type { OsDefinition, OsParameter, OsVerdict } from "./types.js";
import { cachedText, rememberText } from "./textcache.js";
import { pyDecodeUtf8 } from "./utf8.js";

const API_FILE = "ganeti_api_version";
const VARIANTS_FILE = "variants.list";
const PARAMETERS_FILE = "parameters.list";

/** The OS directory as FindFile builds it: `"/".join([dir, name])`, so "/" as a search dir gives "//name". */
export function joinPath(dir: string, name: string): string {
  return `${dir}/${name}`;
}

/** The entry path DiagnoseOS reports (PathJoin, which normalises): differs from joinPath only for "/". */
export function entryPath(dir: string, name: string): string {
  return dir === "/" ? `/${name}` : `${dir}/${name}`;
}

/** The "not found" verdict text, also given for names that fail the mask. */
export function notFoundMessage(name: string): string {
  return `Directory for OS ${name} not found in search path`;
}

type Outcome = { ok: true; os: OsDefinition } | { ok: false; message: string; hint?: string };

const fail = (message: string, hint?: string): Outcome =>
  hint === undefined ? { ok: false, message } : { ok: false, message, hint };

/** Read and decode a text file just stat'ed as `st`; `what` names it in the error ("API version", ...). */
function readText(
  path: string,
  st: Stats,
  what: string,
): { text: string } | { errno: string; message: string } {
  const known = cachedText(path, st);
  if (known !== undefined) return { text: known };
  const r = readBytes(path);
  if ("errno" in r)
    return { errno: r.errno, message: `Error while reading the ${what} file at ${path}: ${r.errno}` };
  const d = pyDecodeUtf8(r.bytes);
  if (!d.ok) return { errno: "", message: `Error while reading the ${what} file at ${path}: ${d.message}` };
  // Only what was read whole is remembered: a file that grew after the stat is read again next time.
  if (r.bytes.length === st.size) rememberText(path, st, d.text);
  return { text: d.text };
}

interface FileCheck {
  file: string;
  required: boolean;
  script: boolean;
}

function filesToCheck(declaredMax: bigint): FileCheck[] {
  const s = (file: string, required: boolean): FileCheck => ({ file, required, script: true });
  const files = [s("create", false), s("create_untrusted", false), s("export", true), s("import", true)];
  files.push(s("rename", true));
  if (declaredMax >= 20n) files.push(s("verify", true));
  if (declaredMax >= 15n) files.push({ file: VARIANTS_FILE, required: false, script: false });
  if (declaredMax >= 20n) files.push({ file: PARAMETERS_FILE, required: true, script: false });
  return files;
}

/** _TryOSFromDisk once the directory is known to exist: the definition or Ganeti's first complaint. */
export function loadOsDir(name: string, osDir: string): Outcome {
  const apiPath = joinPath(osDir, API_FILE);
  const apiStat = probe(apiPath);
  if ("errno" in apiStat)
    return fail(`Required file '${API_FILE}' not found under path ${osDir}: ${apiStat.errno}`);
  if (!apiStat.isFile()) return fail(`File '${API_FILE}' in ${osDir} is not a regular file`);
  const apiText = readText(apiPath, apiStat, "API version");
  if (!("text" in apiText)) return fail(apiText.message);
  const parsed = parseApiVersionsExact(apiText.text);
  if (!parsed.ok) return fail(parsed.message);
  const exact = parsed.versions;
  const supported = supportedOf(exact);
  if (supported.length === 0) return fail(apiMismatchMessage(osDir, exact), apiMismatchHint(exact));
  const declaredMax = exact.reduce((a, b) => (b > a ? b : a));

  const present = new Map<string, { path: string; st: Stats }>();
  for (const { file, required, script } of filesToCheck(declaredMax)) {
    const path = joinPath(osDir, file);
    const st = probe(path);
    if ("errno" in st) {
      if (st.errno === "ENOENT" && !required) continue;
      return fail(`File '${file}' under path '${osDir}' is missing (${st.errno})`);
    }
    if (!st.isFile()) return fail(`File '${file}' under path '${osDir}' is not a regular file`);
    if (script && (st.mode & 0o100) === 0)
      return fail(`File '${file}' under path '${osDir}' is not executable`);
    present.set(file, { path, st });
  }
  const scriptPath = (file: string): string | null => present.get(file)?.path ?? null;
  const create = scriptPath("create");
  const createUntrusted = scriptPath("create_untrusted");
  if (create === null && createUntrusted === null) {
    return fail(`A create script (trusted or untrusted) under path '${osDir}' must exist`);
  }

  let variants: string[] = [];
  const variantsFile = present.get(VARIANTS_FILE);
  if (variantsFile !== undefined) {
    const r = readText(variantsFile.path, variantsFile.st, "OS variants");
    // A variants file that vanished since the stat is as good as absent.
    if ("text" in r) variants = parseVariantsList(r.text);
    else if (r.errno !== "ENOENT") return fail(r.message);
  }
  let parameters: OsParameter[] = [];
  const parametersFile = present.get(PARAMETERS_FILE);
  if (parametersFile !== undefined) {
    const r = readText(parametersFile.path, parametersFile.st, "OS parameters");
    if (!("text" in r)) return fail(r.message);
    parameters = parseParametersList(r.text);
  }

  const os: OsDefinition = {
    name,
    path: osDir,
    apiVersions: exact.map(Number),
    declaredMax: Number(declaredMax),
    apiVersion: Math.max(...supported),
    scripts: {
      create,
      createUntrusted,
      export: scriptPath("export")!,
      import: scriptPath("import")!,
      rename: scriptPath("rename")!,
      verify: scriptPath("verify"),
    },
    variants,
    parameters,
    trusted: createUntrusted === null,
  };
  return { ok: true, os };
}

/** _TryOSFromDisk(name, base_dir) synchronously; `knownDir` skips the directory test when readdir told us. */
export function loadOsSync(name: string, baseDir: string, knownDir?: boolean): OsVerdict {
  const osDir = joinPath(baseDir, name);
  const path = entryPath(baseDir, name);
  if (!isValidOsName(name) || !(knownDir ?? isDir(osDir))) {
    return { valid: false, name, path, message: notFoundMessage(name) };
  }
  const r = loadOsDir(name, osDir);
  if (r.ok) return { valid: true, name, path, os: r.os };
  return r.hint === undefined
    ? { valid: false, name, path, message: r.message }
    : { valid: false, name, path, message: r.message, hint: r.hint };
}

/** Ganeti's _TryOSFromDisk(name, base_dir): the verdict on `<baseDir>/<name>`. */
export function loadOs(name: string, baseDir: string): Promise<OsVerdict> {
  return new Promise((done) => done(loadOsSync(name, resolve(baseDir))));
}
