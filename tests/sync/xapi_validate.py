"""Validate xAPI statements with ralph's own pydantic models (run with ralph's venv python).

Reads a JSON list of statements on stdin; prints a JSON list with, per statement, null when
valid or the validation error. Questions (an object with an interactionType) are also checked
against ralph's interaction definition model.
"""

import json
import sys

from ralph.models.xapi.base.statements import BaseXapiStatement
from ralph.models.xapi.base.unnested_objects import BaseXapiActivityInteractionDefinition


def check(model, data):
    validate = getattr(model, "model_validate", None) or model.parse_obj
    validate(data)


errors = []
for statement in json.load(sys.stdin):
    try:
        check(BaseXapiStatement, statement)
        definition = (statement.get("object") or {}).get("definition") or {}
        if "interactionType" in definition:
            check(BaseXapiActivityInteractionDefinition, definition)
        errors.append(None)
    except Exception as err:  # a pydantic ValidationError: reported to the test
        errors.append(str(err))
print(json.dumps(errors))
