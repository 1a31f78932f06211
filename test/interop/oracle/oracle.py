#!/usr/bin/python3
"""Batch oracle: asks Debian's Ganeti 3.0 many questions in one process.

Usage:
  PYTHONHASHSEED=0 /usr/bin/python3 oracle.py < requests.json > answers.json

stdin is a JSON list of requests, stdout a JSON list of answers in the same order.
Importing Ganeti takes ~0.3 s, so one process answers a whole test file's questions.

Requests (each an object with "kind"):
  {"kind": "diagnose", "search_path": [dir, ...]}
      -> {"oses": [{name, path, valid, diagnose, variants, parameters,
                    api_versions, trusted}, ...]}        (DiagnoseOS, listdir order)
  {"kind": "try_os", "name": n, "base_dir": dir|null, "search_path": [...]}
      -> {"ok": true, "os": {...}} | {"ok": false, "message": m}   (_TryOSFromDisk)
  {"kind": "validate", "name": "os[+variant]", "search_path": [...],
   "osparams": {...}, "force_variant": bool}
      -> {"ok": true} | {"ok": false, "exception": cls, "message": m}   (ValidateOS)
  {"kind": "env", "instance": {...}}        (see env_oracle.py)
      -> {"os": {...}, "operations": {create|reinstall|rename: {env, ...},
                                     import|export: [{index, env, ...}, ...]}}

Every answer also carries "kind", "ganeti_version" and "patches" (the monkeypatches that were active,
see _ganeti.py). A request that raised outside Ganeti's own error handling answers
{"kind": k, "error": "<Exception>: <message>", "patches": [...]}.

Exit status: 0 when the input was a JSON list (whatever the answers say), 1 otherwise.
"""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _ganeti as G  # noqa: E402
import env_oracle  # noqa: E402
import os_oracle  # noqa: E402

from ganeti import constants  # noqa: E402

HANDLERS = {
  "diagnose": os_oracle.diagnose,
  "try_os": os_oracle.try_os,
  "validate": os_oracle.validate,
  "env": env_oracle.env,
}


def answer(req):
  """Answer one request; never raises."""
  G.begin_request()
  kind = req.get("kind") if isinstance(req, dict) else None
  try:
    handler = HANDLERS[kind]
  except (KeyError, TypeError):
    return {"kind": kind, "error": "unknown request kind %r" % (kind, ),
            "patches": G.all_patches()}
  try:
    out = handler(req)
  except Exception as exc:  # pylint: disable=W0703
    out = {"error": "%s: %s" % (exc.__class__.__name__, exc)}
  out["kind"] = kind
  out["ganeti_version"] = constants.RELEASE_VERSION
  out["patches"] = G.all_patches()
  return out


def main():
  try:
    requests = json.load(sys.stdin)
  except ValueError as err:
    sys.stderr.write("invalid JSON on stdin: %s\n" % err)
    return 1
  if not isinstance(requests, list):
    sys.stderr.write("stdin must hold a JSON list of requests\n")
    return 1
  G.silence_logging()
  G.allow_any_file_storage_path()
  answers = [answer(r) for r in requests]
  json.dump(answers, sys.stdout, default=str)
  sys.stdout.write("\n")
  return 0


if __name__ == "__main__":
  sys.exit(main())
