#!/usr/bin/python3
"""Batch oracle: Python 3's configparser as Ganeti's SerializableConfigParser uses it.

Usage: /usr/bin/python3 configparser_oracle.py < requests.json > answers.json

Needs only Debian's Python (not Ganeti): Ganeti 3.0's objects.SerializableConfigParser is a plain
configparser.ConfigParser (BasicInterpolation, default options) with a None-returning get(), which
export_oracle.py covers.

Requests (a JSON list; answers in the same order):
  {"kind": "parse", "text": t, "source": s}
      -> {"ok": true, "defaults": [[k, v]...], "sections": [[name, [[k, v]...]]...],
          "get": [[section, [[k, value | {"error": m}]...]]...],
          "items": [[section, [[k, v]...] | {"error": m}]...]}
       | {"ok": false, "exception": cls, "message": str(exc)}
      (ConfigParser().read_string(t, s); get/items interpolate)
  {"kind": "write", "defaults": [[k, v]...], "sections": [[name, [[k, v]...]]...]}
      -> {"text": what ConfigParser.write() writes for these raw values}
"""

import configparser
import io
import json
import sys


def _err(exc):
  return {"error": str(exc)}


def parse(req):
  cp = configparser.ConfigParser()
  try:
    cp.read_string(req["text"], req["source"])
  except Exception as exc:  # pylint: disable=W0703
    return {"ok": False, "exception": exc.__class__.__name__, "message": str(exc)}
  gets = []
  items = []
  for name in cp.sections():
    one = []
    for key in list(cp._defaults) + [k for k in cp._sections[name] if k not in cp._defaults]:  # pylint: disable=W0212
      try:
        one.append([key, cp.get(name, key)])
      except Exception as exc:  # pylint: disable=W0703
        one.append([key, _err(exc)])
    gets.append([name, one])
    try:
      items.append([name, [list(kv) for kv in cp.items(name)]])
    except Exception as exc:  # pylint: disable=W0703
      items.append([name, _err(exc)])
  return {
    "ok": True,
    "defaults": [list(kv) for kv in cp._defaults.items()],  # pylint: disable=W0212
    "sections": [[name, [list(kv) for kv in cp._sections[name].items()]]  # pylint: disable=W0212
                 for name in cp.sections()],
    "get": gets,
    "items": items,
  }


def write(req):
  cp = configparser.ConfigParser()
  # Raw values straight into the parser's dicts: set() would refuse a bare "%" and lower-case names,
  # and the point is how write() prints whatever it holds.
  cp._defaults.update(dict(req["defaults"]))  # pylint: disable=W0212
  for name, entries in req["sections"]:
    cp._sections[name] = dict(entries)  # pylint: disable=W0212
  buf = io.StringIO()
  cp.write(buf)
  return {"text": buf.getvalue()}


HANDLERS = {"parse": parse, "write": write}


def main():
  requests = json.load(sys.stdin)
  answers = []
  for req in requests:
    try:
      answers.append(HANDLERS[req["kind"]](req))
    except Exception as exc:  # pylint: disable=W0703
      answers.append({"error": "%s: %s" % (exc.__class__.__name__, exc)})
  json.dump(answers, sys.stdout)
  sys.stdout.write("\n")
  return 0


if __name__ == "__main__":
  sys.exit(main())
