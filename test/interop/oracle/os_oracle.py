"""Oracle requests about OS definitions: diagnose, try_os, validate.

diagnose  backend.DiagnoseOS(top_dirs=search_path): one entry per visible entry of
          every search dir, as DiagnoseOS's full tuple.
try_os    backend._TryOSFromDisk(name, base_dir): base_dir null means the whole
          search path (FindFile: the first dir holding a directory of that name wins).
validate  backend.ValidateOS(True, name, ["parameters"], osparams, force_variant):
          runs the OS's real `verify` script.
"""

import _ganeti as G

from ganeti import backend, constants  # noqa: E402

FIELDS = ("name", "path", "valid", "diagnose", "variants", "parameters",
          "api_versions", "trusted")


def _os_object(os_obj):
  return {"name": os_obj.name, "path": os_obj.path,
          "api_versions": list(os_obj.api_versions),
          "variants": list(os_obj.supported_variants),
          "parameters": [list(p) for p in os_obj.supported_parameters],
          "trusted": not os_obj.create_script_untrusted,
          "scripts": {"create": os_obj.create_script,
                      "create_untrusted": os_obj.create_script_untrusted,
                      "export": os_obj.export_script,
                      "import": os_obj.import_script,
                      "rename": os_obj.rename_script,
                      "verify": os_obj.verify_script}}


def diagnose(req):
  """DiagnoseOS over req["search_path"]."""
  search_path = req["search_path"]
  G.set_os_search_path(search_path)
  oses = []
  for tup in backend.DiagnoseOS(top_dirs=search_path):
    entry = dict(zip(FIELDS, tup))
    entry["parameters"] = [list(p) for p in entry["parameters"]]
    oses.append(entry)
  return {"oses": oses}


def try_os(req):
  """_TryOSFromDisk(name, base_dir); base_dir null searches the search path."""
  if "search_path" in req:
    G.set_os_search_path(req["search_path"])
  status, payload = backend._TryOSFromDisk(  # pylint: disable=W0212
    req["name"], base_dir=req.get("base_dir"))
  if status:
    return {"ok": True, "os": _os_object(payload)}
  return {"ok": False, "message": payload}


def validate(req):
  """ValidateOS(required=True, name, ["parameters"], osparams, force_variant)."""
  G.set_os_search_path(req["search_path"])
  try:
    backend.ValidateOS(True, req["name"], [constants.OS_VALIDATE_PARAMETERS],
                       dict(req.get("osparams", {})),
                       bool(req.get("force_variant", False)))
  except Exception as exc:  # pylint: disable=W0703
    return {"ok": False, "exception": exc.__class__.__name__,
            "message": str(exc)}
  return {"ok": True}
