/*
 * Python 3's configparser as Ganeti uses it for config.ini (objects.SerializableConfigParser, a
 * ConfigParser with the default options: `=` and `:` delimiters, full-line `#`/`;` comments, no inline
 * comments, strict, empty lines kept inside values, option names lower-cased, section DEFAULT shared by
 * all sections). The `ini` package reads this syntax differently (continuation lines, `:`, DEFAULT), so
 * guestos has its own codec, tested against /usr/bin/python3 3.11. Values are stored raw, as the parser
 * stores them; `%` interpolation happens on lookup (configget.ts), as in Python.
 */
import { pyStrRepr } from "../env/pyrepr.js";
import { pyIsSpace, pyStrip } from "../osdef/pycompat.js";
import { GuestosError } from "../errors.js";
import { pyLower } from "./pylower.js";

/** configparser.DEFAULTSECT. */
export const DEFAULT_SECTION = "DEFAULT";

/** A parsed config file: ordered sections of ordered options (names lower-cased, values raw). */
export interface IniDocument {
  /** The DEFAULT section: every section inherits these options on lookup. */
  defaults: Map<string, string>;
  /** Sections in file order, DEFAULT excluded. */
  sections: Map<string, Map<string, string>>;
}

/** A document with no sections. */
export function emptyIni(): IniDocument {
  return { defaults: new Map(), sections: new Map() };
}

/** configparser's errors carry Python's message text exactly. */
function iniError(message: string): GuestosError {
  return new GuestosError("CONFIG_INI", message);
}

/** Python's "{0:2d}" of a line number. */
const lineNo = (n: number): string => String(n).padStart(2, " ");

/** Python's str.rstrip() with no argument. */
function pyRstrip(s: string): string {
  let end = s.length;
  while (end > 0 && pyIsSpace(s[end - 1]!)) end--;
  return s.slice(0, end);
}

/** The lines of a StringIO (newline="\n"): split after each "\n", which stays on its line. */
function splitLines(text: string): string[] {
  const parts = text.split("\n");
  const last = parts.pop()!;
  const lines = parts.map((p) => `${p}\n`);
  if (last !== "") lines.push(last);
  return lines;
}

/** SECTCRE `\[(?P<header>.+)\]` with match(): from a leading "[" to the last "]", at least one char between. */
function sectionHeader(value: string): string | null {
  if (!value.startsWith("[")) return null;
  const end = value.lastIndexOf("]");
  return end >= 2 ? value.slice(1, end) : null;
}

/** OPTCRE `(?P<option>.*?)\s*(?P<vi>=|:)\s*(?P<value>.*)$`: split at the first delimiter. */
function optionLine(value: string): { option: string; value: string } | null {
  const eq = value.indexOf("=");
  const colon = value.indexOf(":");
  const at = eq < 0 ? colon : colon < 0 ? eq : Math.min(eq, colon);
  if (at < 0) return null;
  return { option: pyRstrip(value.slice(0, at)), value: pyStrip(value.slice(at + 1)) };
}

/**
 * Read config text as ConfigParser.read_string(text, source) does: the same sections, options and values,
 * or the same error (GuestosError CONFIG_INI with Python's message). `source` names the text in messages
 * (Ganeti's node reads the file by path). Lines end at "\n" only: universal newlines are the caller's.
 */
export function parseIni(text: string, opts: { source: string }): IniDocument {
  const { source } = opts;
  const defaults = new Map<string, string[]>();
  const sections = new Map<string, Map<string, string[]>>();
  const sectionsAdded = new Set<string>();
  const optionsAdded = new Map<string, Set<string>>();
  let cursect: Map<string, string[]> | null = null;
  let sectname: string | null = null;
  let optname: string | null = null;
  let indentLevel = 0;
  // ParsingError: bad lines are collected and reported together at the end.
  const errors: string[] = [];
  const bad = (lineno: number, line: string): void => {
    errors.push(`\n\t[line ${lineNo(lineno)}]: ${pyStrRepr(line)}`);
  };

  splitLines(text).forEach((line, i) => {
    const lineno = i + 1;
    const stripped = pyStrip(line);
    const isComment = stripped.startsWith("#") || stripped.startsWith(";");
    const value = isComment ? "" : stripped;
    if (value === "") {
      // empty_lines_in_values: a blank line (not a comment) may still be inside a value.
      if (!isComment && cursect !== null && optname) cursect.get(optname)?.push("");
      return;
    }
    let indent = 0;
    while (indent < line.length && pyIsSpace(line[indent]!)) indent++;
    if (cursect !== null && optname && indent > indentLevel) {
      cursect.get(optname)!.push(value);
      return;
    }
    indentLevel = indent;
    const header = sectionHeader(value);
    if (header !== null) {
      sectname = header;
      if (sections.has(header)) {
        if (sectionsAdded.has(header)) {
          throw iniError(
            `While reading from ${pyStrRepr(source)} [line ${lineNo(lineno)}]: section ${pyStrRepr(header)} already exists`,
          );
        }
        cursect = sections.get(header)!;
      } else if (header === DEFAULT_SECTION) {
        cursect = defaults;
      } else {
        cursect = new Map();
        sections.set(header, cursect);
        sectionsAdded.add(header);
      }
      optname = null;
      return;
    }
    if (cursect === null) {
      throw iniError(
        `File contains no section headers.\nfile: ${pyStrRepr(source)}, line: ${lineno}\n${pyStrRepr(line)}`,
      );
    }
    const opt = optionLine(value);
    if (opt === null) {
      bad(lineno, line);
      return;
    }
    // Python records an empty option name as an error but goes on with it, duplicates included.
    if (opt.option === "") bad(lineno, line);
    optname = pyLower(opt.option);
    const section = sectname!;
    let added = optionsAdded.get(section);
    if (added === undefined) optionsAdded.set(section, (added = new Set()));
    if (added.has(optname)) {
      throw iniError(
        `While reading from ${pyStrRepr(source)} [line ${lineNo(lineno)}]: option ${pyStrRepr(optname)} in section ${pyStrRepr(section)} already exists`,
      );
    }
    added.add(optname);
    cursect.set(optname, [opt.value]);
  });

  if (errors.length > 0) {
    throw iniError(`Source contains parsing errors: ${pyStrRepr(source)}${errors.join("")}`);
  }
  const join = (m: Map<string, string[]>): Map<string, string> =>
    new Map([...m].map(([k, v]) => [k, pyRstrip(v.join("\n"))]));
  return {
    defaults: join(defaults),
    sections: new Map([...sections].map(([name, m]) => [name, join(m)])),
  };
}

function writeSection(name: string, entries: Map<string, string>): string {
  let out = `[${name}]\n`;
  for (const [key, value] of entries) out += `${key} = ${value.replaceAll("\n", "\n\t")}\n`;
  return `${out}\n`;
}

/**
 * Text as ConfigParser.write() gives it: DEFAULT first when it has options, then each section as
 * `[name]`, `key = value` lines (a multi-line value continues on tab-indented lines) and a blank line.
 * Nothing is escaped or checked: what does not read back the same is the writer's to avoid.
 */
export function writeIni(doc: IniDocument): string {
  let out = doc.defaults.size > 0 ? writeSection(DEFAULT_SECTION, doc.defaults) : "";
  for (const [name, entries] of doc.sections) out += writeSection(name, entries);
  return out;
}
