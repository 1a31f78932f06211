/** The API versions guestos (like Ganeti 3.x) supports, in ascending order. */
export const SUPPORTED_API_VERSIONS: readonly number[] = [10, 15, 20];

/** Script names in Ganeti's OS_SCRIPTS order (the order files are checked in). */
export const OS_SCRIPTS = ["create", "create_untrusted", "export", "import", "rename", "verify"] as const;
export type OsScriptName = (typeof OS_SCRIPTS)[number];

/** One line of parameters.list: the name and the free-text help (may be ""). */
export interface OsParameter {
  name: string;
  description: string;
}

/** A valid OS definition as read from disk (Ganeti's objects.OS). Paths are absolute. */
export interface OsDefinition {
  /** Directory base name, without variant. */
  name: string;
  /** `<searchdir>/<name>`, as Ganeti builds it (not resolved through symlinks). */
  path: string;
  /** As listed in ganeti_api_version, file order, duplicates kept. */
  apiVersions: number[];
  /** max(apiVersions): decides which files are required. */
  declaredMax: number;
  /** max(apiVersions ∩ {10,15,20}): exported as OS_API_VERSION. */
  apiVersion: number;
  scripts: {
    create: string | null;
    createUntrusted: string | null;
    export: string;
    import: string;
    rename: string;
    verify: string | null;
  };
  /** variants.list entries in file order (first = default); [] below API 15 or without the file. */
  variants: string[];
  /** parameters.list entries; [] below API 20. */
  parameters: OsParameter[];
  /** False when create_untrusted exists. */
  trusted: boolean;
}

/** Ganeti's verdict on one directory entry: a valid definition or the exact diagnose message. */
export type OsVerdict =
  | { valid: true; name: string; path: string; os: OsDefinition }
  | { valid: false; name: string; path: string; message: string; hint?: string };
