/*
 * Lookups on a parsed config as ConfigParser does them (has_section, has_option, get, items), with its
 * BasicInterpolation: on the way out `%%` becomes `%` and `%(name)s` the value of another option of the
 * section or DEFAULT. Ganeti reads config.ini through these, so a value written with a bare `%` cannot
 * be read back by Ganeti, and `%%` reads as `%`.
 */
import { pyStrRepr } from "../env/pyrepr.js";
import { GuestosError } from "../errors.js";
import { DEFAULT_SECTION, type IniDocument } from "./configini.js";
import { pyLower } from "./pylower.js";

/** configparser.MAX_INTERPOLATION_DEPTH. */
const MAX_INTERPOLATION_DEPTH = 10;
/** BasicInterpolation._KEYCRE, anchored as match() uses it. */
const KEYCRE = /^%\(([^)]+)\)s/;

const iniError = (message: string): GuestosError => new GuestosError("CONFIG_INI", message);

/** A ConfigParser's read side over one document. Option names are lower-cased as optionxform does. */
export interface IniReader {
  /** has_section(): DEFAULT is not a section. */
  hasSection(section: string): boolean;
  /** has_option(): the section's own options or DEFAULT's. */
  hasOption(section: string, option: string): boolean;
  /** get(): the interpolated value (raw with `{raw: true}`), or NoSectionError/NoOptionError's message. */
  get(section: string, option: string, opts?: { raw?: boolean }): string;
  /** items(section): DEFAULT's options then the section's, in order, interpolated. */
  items(section: string): [string, string][];
}

/** The value as a `%`-interpolating ConfigParser would store it for `value` to come back out of get(). */
export function escapeIniValue(value: string): string {
  return value.replaceAll("%", "%%");
}

/** ConfigParser's lookups (with BasicInterpolation) over a parsed document. */
export function iniReader(doc: IniDocument): IniReader {
  /** _unify_values: the section's options over DEFAULT's. */
  const lookup = (section: string): ((key: string) => string | undefined) => {
    const own = doc.sections.get(section);
    if (own === undefined && section !== DEFAULT_SECTION) {
      throw iniError(`No section: ${pyStrRepr(section)}`);
    }
    return (key) => own?.get(key) ?? doc.defaults.get(key);
  };

  const interpolate = (
    section: string,
    option: string,
    value: string,
    map: (key: string) => string | undefined,
  ): string => {
    const rawval = map(option) ?? value;
    const out: string[] = [];
    const some = (rest: string, depth: number): void => {
      if (depth > MAX_INTERPOLATION_DEPTH) {
        throw iniError(
          `Recursion limit exceeded in value substitution: option ${pyStrRepr(option)} in section ${pyStrRepr(section)} contains an interpolation key which cannot be substituted in ${MAX_INTERPOLATION_DEPTH} steps. Raw value: ${pyStrRepr(rawval)}`,
        );
      }
      while (rest !== "") {
        const p = rest.indexOf("%");
        if (p < 0) {
          out.push(rest);
          return;
        }
        if (p > 0) {
          out.push(rest.slice(0, p));
          rest = rest.slice(p);
        }
        const c = rest.slice(1, 2);
        if (c === "%") {
          out.push("%");
          rest = rest.slice(2);
        } else if (c === "(") {
          const m = KEYCRE.exec(rest);
          if (m === null) {
            throw iniError(`bad interpolation variable reference ${pyStrRepr(rest)}`);
          }
          const name = pyLower(m[1]!);
          rest = rest.slice(m[0].length);
          const v = map(name);
          if (v === undefined) {
            throw iniError(
              `Bad value substitution: option ${pyStrRepr(option)} in section ${pyStrRepr(section)} contains an interpolation key ${pyStrRepr(name)} which is not a valid option name. Raw value: ${pyStrRepr(rawval)}`,
            );
          }
          if (v.includes("%")) some(v, depth + 1);
          else out.push(v);
        } else {
          throw iniError(`'%' must be followed by '%' or '(', found: ${pyStrRepr(rest)}`);
        }
      }
    };
    some(value, 1);
    return out.join("");
  };

  return {
    hasSection: (section) => doc.sections.has(section),
    hasOption(section, option) {
      const key = pyLower(option);
      if (section === "" || section === DEFAULT_SECTION) return doc.defaults.has(key);
      const own = doc.sections.get(section);
      return own !== undefined && (own.has(key) || doc.defaults.has(key));
    },
    get(section, option, opts = {}) {
      const map = lookup(section);
      const key = pyLower(option);
      const value = map(key);
      if (value === undefined) {
        throw iniError(`No option ${pyStrRepr(key)} in section: ${pyStrRepr(section)}`);
      }
      return opts.raw === true ? value : interpolate(section, key, value, map);
    },
    items(section) {
      const map = lookup(section);
      const keys = new Set([...doc.defaults.keys(), ...(doc.sections.get(section)?.keys() ?? [])]);
      return [...keys].map((k) => [k, interpolate(section, k, map(k)!, map)]);
    },
  };
}
