"""Masking contact details (emails, phone numbers) in text, DataFrames and notebook outputs.

The renderer masks every output of an executed notebook centrally
(`mask_notebook`) unless the report ran with ``mask_contacts=False``; notebooks
can also mask a frame themselves before showing it (`hide_contacts`).

An email keeps its first character and its domain (``a***@acme.com``): the
domain says which company, not which person. A phone number keeps its last two
digits (``***-**-67``). A database URL's user (``postgresql://user@host``) is
not an email and is left alone.
"""

from __future__ import annotations

import re
from typing import Any

EMAIL = re.compile(r"(?<![/\w.%+-])([A-Za-z0-9][A-Za-z0-9._%+-]*)@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,})\b")
# +1 415-555-0100, (415) 555-0100, +44 20 7946 0958, 415.555.0100 ...
PHONE = re.compile(
    r"(?<![\w+-])(?:\+\d{1,3}[ .-]?)?(?:\(\d{2,4}\)[ .-]?|\d{2,4}[ .-])\d{2,4}[ .-]\d{3,4}(?![\w-])"
)
MIN_PHONE_DIGITS = 10
_BINARY_MIMETYPES = ("image/", "application/pdf")


def _mask_email(match: re.Match) -> str:
    return f"{match.group(1)[0]}***@{match.group(2)}"


def _mask_phone(match: re.Match) -> str:
    digits = re.sub(r"\D", "", match.group(0))
    if len(digits) < MIN_PHONE_DIGITS:
        return match.group(0)
    return f"***-**-{digits[-2:]}"


def mask_text(text: str) -> str:
    """Return ``text`` with every email and phone number in it masked."""
    if "@" in text:
        text = EMAIL.sub(_mask_email, text)
    return PHONE.sub(_mask_phone, text)


def mask_value(value: Any) -> Any:
    """Return ``value`` with every string inside it (also in lists and dicts) masked."""
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, list):
        return [mask_value(v) for v in value]
    if isinstance(value, dict):
        return type(value)((k, mask_value(v)) for k, v in value.items())
    return value


def hide_contacts(obj, enabled: bool = True):
    """Return a copy of ``obj`` (str, DataFrame, Series, list, dict) with contact details masked.

    With ``enabled=False`` (a report run with ``mask_contacts=False``) returns ``obj`` as it is.
    """
    if not enabled:
        return obj
    import pandas as pd

    if isinstance(obj, pd.DataFrame):
        out = obj.copy()
        for column in out.columns[out.dtypes.map(_is_text)]:
            out[column] = out[column].map(mask_value)
        return out
    if isinstance(obj, pd.Series):
        return obj.map(mask_value) if _is_text(obj.dtype) else obj.copy()
    return mask_value(obj)


def _is_text(dtype) -> bool:
    from pandas.api.types import is_object_dtype, is_string_dtype

    return is_object_dtype(dtype) or is_string_dtype(dtype)


def mask_output(output: dict) -> dict:
    """Return a notebook output (stream, display data, result or error) with its contact details masked."""
    output = dict(output)
    if "text" in output:
        output["text"] = mask_value(output["text"])
    if "data" in output:
        output["data"] = {
            mime: value if mime.startswith(_BINARY_MIMETYPES) else mask_value(value)
            for mime, value in output["data"].items()
        }
    for key in ("evalue", "traceback"):
        if key in output:
            output[key] = mask_value(output[key])
    return output


def mask_notebook(nb):
    """Mask every output of every code cell of notebook ``nb`` in place; return ``nb``."""
    import nbformat

    for cell in nb.cells:
        if cell.get("cell_type") == "code":
            cell["outputs"] = [nbformat.from_dict(mask_output(o)) for o in cell.get("outputs", [])]
    return nb
