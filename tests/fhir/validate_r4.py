"""Validate a FHIR R4 (4.0.1) Bundle against the R4 structure definitions.

Uses the R4 models of fhir.resources 5.1.1 (strict mode: unknown elements, wrong types and
missing required elements are errors), plus the required value-set bindings those models do not
check for the elements this service emits. Exit status 0 when valid; the problems on stderr
otherwise.

usage: python validate_r4.py bundle.json
"""
import contextlib
import io
import json
import sys

from fhir.resources import __fhir_version__
from fhir.resources.bundle import Bundle

# Required bindings (R4) for coded elements the export uses.
REQUIRED_CODES = {
    ("Patient", "gender"): {"male", "female", "other", "unknown"},
    ("Observation", "status"): {"registered", "preliminary", "final", "amended", "corrected", "cancelled", "entered-in-error", "unknown"},
    ("QuestionnaireResponse", "status"): {"in-progress", "completed", "amended", "entered-in-error", "stopped"},
    ("MedicationStatement", "status"): {"active", "completed", "entered-in-error", "intended", "stopped", "on-hold", "unknown", "not-taken"},
    ("Flag", "status"): {"active", "inactive", "entered-in-error"},
    ("Bundle", "type"): {"document", "message", "transaction", "transaction-response", "batch", "batch-response", "history", "searchset", "collection"},
}
ALLERGY_CATEGORY = {"food", "medication", "environment", "biologic"}
ALLERGY_SEVERITY = {"mild", "moderate", "severe"}


def check_codes(bundle):
    problems = []
    if bundle.get("type") not in REQUIRED_CODES[("Bundle", "type")]:
        problems.append(f"Bundle.type {bundle.get('type')!r}")
    for i, entry in enumerate(bundle.get("entry", [])):
        res = entry.get("resource", {})
        kind = res.get("resourceType")
        for (rtype, field), allowed in REQUIRED_CODES.items():
            if rtype == kind and field in res and res[field] not in allowed:
                problems.append(f"entry[{i}] {kind}.{field} {res[field]!r} not in the required value set")
        if kind == "AllergyIntolerance":
            for c in res.get("category", []):
                if c not in ALLERGY_CATEGORY:
                    problems.append(f"entry[{i}] AllergyIntolerance.category {c!r}")
            for r in res.get("reaction", []):
                if "severity" in r and r["severity"] not in ALLERGY_SEVERITY:
                    problems.append(f"entry[{i}] AllergyIntolerance.reaction.severity {r['severity']!r}")
        if not str(entry.get("fullUrl", "")).startswith("urn:uuid:"):
            problems.append(f"entry[{i}] fullUrl must be a urn:uuid")
    return problems


def main(path):
    assert __fhir_version__ == "4.0.1", f"fhir.resources models are FHIR {__fhir_version__}, not R4 4.0.1"
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    printed = io.StringIO()
    try:
        # The models print (rather than raise) some date problems: treat any output as an error.
        with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(printed):
            Bundle(data, strict=True)
    except Exception as e:  # FHIRValidationError and friends
        print(f"invalid FHIR R4: {e}", file=sys.stderr)
        return 1
    problems = check_codes(data)
    if printed.getvalue().strip():
        problems.append(printed.getvalue().strip())
    if problems:
        print("invalid FHIR R4:\n  " + "\n  ".join(problems), file=sys.stderr)
        return 1
    print(f"valid FHIR R4 Bundle with {len(data.get('entry', []))} entries")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
