"""Validate a FHIR R4 (4.0.1) resource (a Bundle, a Questionnaire, ...) against the R4
structure definitions.

Uses the R4 models of fhir.resources 5.1.1 (strict mode: unknown elements, wrong types and
missing required elements are errors), plus the required value-set bindings and the
Questionnaire invariants those models do not check, for the elements this service emits.
Exit status 0 when valid; the problems on stderr otherwise.

usage: python validate_r4.py resource.json
"""
import contextlib
import importlib
import io
import json
import re
import sys

from fhir.resources import __fhir_version__

# Required bindings (R4) for coded elements the export uses.
REQUIRED_CODES = {
    ("Patient", "gender"): {"male", "female", "other", "unknown"},
    ("Observation", "status"): {"registered", "preliminary", "final", "amended", "corrected", "cancelled", "entered-in-error", "unknown"},
    ("QuestionnaireResponse", "status"): {"in-progress", "completed", "amended", "entered-in-error", "stopped"},
    ("MedicationStatement", "status"): {"active", "completed", "entered-in-error", "intended", "stopped", "on-hold", "unknown", "not-taken"},
    ("Flag", "status"): {"active", "inactive", "entered-in-error"},
    ("Bundle", "type"): {"document", "message", "transaction", "transaction-response", "batch", "batch-response", "history", "searchset", "collection"},
    ("Questionnaire", "status"): {"draft", "active", "retired", "unknown"},
    ("AuditEvent", "action"): {"C", "R", "U", "D", "E"},
    ("AuditEvent", "outcome"): {"0", "4", "8", "12"},
}
# Questionnaire.item.type, enableWhen.operator and enableBehavior (required bindings).
ITEM_TYPES = {"group", "display", "boolean", "decimal", "integer", "date", "dateTime", "time", "string", "text",
              "url", "choice", "open-choice", "attachment", "reference", "quantity"}
OPERATORS = {"exists", "=", "!=", ">", "<", ">=", "<="}
BEHAVIOURS = {"all", "any"}
# Each answer type an item type takes (R4 que-7: enableWhen.answer[x] matches the question's type).
ANSWER_OF = {"boolean": "answerBoolean", "integer": "answerInteger", "decimal": "answerDecimal",
             "string": "answerString", "text": "answerString", "choice": "answerCoding", "open-choice": "answerCoding"}
ALLERGY_CATEGORY = {"food", "medication", "environment", "biologic"}
ALLERGY_SEVERITY = {"mild", "moderate", "severe"}


def check_questionnaire(q, where):
    """The R4 Questionnaire invariants: que-2 (linkIds unique), que-5 (answerOption only on
    choice items), que-6 (no required display items), que-7 (enableWhen answers match the
    question's type), enableWhen questions exist, and the required bindings of item elements."""
    problems = []
    types = {}

    def walk(items, path):
        for i, item in enumerate(items):
            p = f"{path}.item[{i}]"
            link, kind = item.get("linkId"), item.get("type")
            if link in types:
                problems.append(f"{p} linkId {link!r} is not unique (que-2)")
            types[link] = kind
            if kind not in ITEM_TYPES:
                problems.append(f"{p}.type {kind!r} not in the required value set")
            if "answerOption" in item and kind not in ("choice", "open-choice"):
                problems.append(f"{p} answerOption on a {kind} item (que-5)")
            if kind == "display" and "required" in item:
                problems.append(f"{p} a display item cannot be required (que-6)")
            if item.get("enableBehavior") not in (None, *BEHAVIOURS):
                problems.append(f"{p}.enableBehavior {item['enableBehavior']!r}")
            if len(item.get("enableWhen", [])) > 1 and "enableBehavior" not in item:
                problems.append(f"{p} enableBehavior is required with several enableWhen (que-12)")
            walk(item.get("item", []), p)

    walk(q.get("item", []), where)

    def conditions(items, path):
        for i, item in enumerate(items):
            p = f"{path}.item[{i}]"
            for j, w in enumerate(item.get("enableWhen", [])):
                target = types.get(w.get("question"))
                if target is None:
                    problems.append(f"{p}.enableWhen[{j}] names no item {w.get('question')!r}")
                if w.get("operator") not in OPERATORS:
                    problems.append(f"{p}.enableWhen[{j}].operator {w.get('operator')!r}")
                answers = [k for k in w if k.startswith("answer")]
                if target in ANSWER_OF and answers != [ANSWER_OF[target]] and w.get("operator") != "exists":
                    problems.append(f"{p}.enableWhen[{j}] {answers} does not match a {target} question (que-7)")
            conditions(item.get("item", []), p)

    conditions(q.get("item", []), where)
    if q.get("name") and not re.fullmatch(r"[A-Z]([A-Za-z0-9_]){0,254}", q["name"]):
        problems.append(f"{where}.name {q['name']!r} is not a computable name (qul-0)")
    return problems


def check_resource(res, where):
    problems = []
    kind = res.get("resourceType")
    for (rtype, field), allowed in REQUIRED_CODES.items():
        if rtype == kind and field in res and res[field] not in allowed:
            problems.append(f"{where} {kind}.{field} {res[field]!r} not in the required value set")
    if kind == "Questionnaire":
        problems.extend(check_questionnaire(res, where))
    return problems


def check_codes(doc):
    if doc.get("resourceType") != "Bundle":
        return check_resource(doc, doc.get("resourceType", "resource"))
    bundle = doc
    problems = []
    if bundle.get("type") not in REQUIRED_CODES[("Bundle", "type")]:
        problems.append(f"Bundle.type {bundle.get('type')!r}")
    for i, entry in enumerate(bundle.get("entry", [])):
        res = entry.get("resource", {})
        kind = res.get("resourceType")
        problems.extend(check_resource(res, f"entry[{i}]"))
        if kind == "AllergyIntolerance":
            for c in res.get("category", []):
                if c not in ALLERGY_CATEGORY:
                    problems.append(f"entry[{i}] AllergyIntolerance.category {c!r}")
            for r in res.get("reaction", []):
                if "severity" in r and r["severity"] not in ALLERGY_SEVERITY:
                    problems.append(f"entry[{i}] AllergyIntolerance.reaction.severity {r['severity']!r}")
        full_url = str(entry.get("fullUrl", ""))
        if bundle.get("type") == "searchset":
            # A search result names each resource by its address on the server.
            if not re.fullmatch(rf"https?://\S+/{kind}/{res.get('id')}", full_url):
                problems.append(f"entry[{i}] fullUrl {full_url!r} must be the resource's URL")
        elif not full_url.startswith("urn:uuid:"):
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
            kind = data.get("resourceType", "")
            if not re.fullmatch(r"[A-Z][A-Za-z]+", kind):
                raise ValueError(f"resourceType {kind!r}")
            model = getattr(importlib.import_module(f"fhir.resources.{kind.lower()}"), kind)
            model(data, strict=True)
    except Exception as e:  # FHIRValidationError and friends
        print(f"invalid FHIR R4: {e}", file=sys.stderr)
        return 1
    problems = check_codes(data)
    if printed.getvalue().strip():
        problems.append(printed.getvalue().strip())
    if problems:
        print("invalid FHIR R4:\n  " + "\n  ".join(problems), file=sys.stderr)
        return 1
    if data.get("resourceType") == "Bundle":
        print(f"valid FHIR R4 Bundle with {len(data.get('entry', []))} entries")
    else:
        print(f"valid FHIR R4 {data.get('resourceType')}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
