"""Contact details are masked in text, frames and notebook outputs; other numbers are left alone."""

import nbformat
import pandas as pd
import pytest

from bi_workbench.reports import hide_contacts, mask_notebook, mask_text


@pytest.mark.parametrize(("text", "masked"), [
    ("ava.chen@acme.com", "a***@acme.com"),
    ("Ava.Chen@Acme.com, bo@fjord.no", "A***@Acme.com, b***@fjord.no"),
    ("+1 415-555-0142", "***-**-42"),
    ("(212) 555-0199", "***-**-99"),
    ("+44 207 946 0958", "***-**-58"),
    ("call 415.555.0100 now", "call ***-**-00 now"),
])
def test_emails_and_phone_numbers_are_masked(text, masked):
    assert mask_text(text) == masked


@pytest.mark.parametrize("text", [
    "2024-01-31", "2024-01-31 06:00:00", "2024-01-31T06:00:00+00:00", "1,234,567", "3.14159 2.71828",
    "6f1c1a4e-0000-4000-8000-000000000001", "postgresql+psycopg://analyst@db.internal:5432/bi", "score 4.25 of 5",
])
def test_dates_amounts_ids_and_database_urls_are_left_alone(text):
    assert mask_text(text) == text


def test_a_frame_is_masked_in_its_text_columns_only_and_not_in_place():
    frame = pd.DataFrame({"email": ["ava.chen@acme.com"], "phone": ["+1 415-555-0142"], "users": [415_555_0142]})
    masked = hide_contacts(frame)
    assert masked.to_dict("records") == [{"email": "a***@acme.com", "phone": "***-**-42", "users": 415_555_0142}]
    assert frame.loc[0, "email"] == "ava.chen@acme.com"
    assert hide_contacts(frame, enabled=False) is frame


def test_every_kind_of_notebook_output_is_masked_but_images_and_code():
    cell = nbformat.v4.new_code_cell("show('ava.chen@acme.com')", outputs=[
        nbformat.v4.new_output("stream", name="stdout", text="ava.chen@acme.com\n"),
        nbformat.v4.new_output("display_data", data={"text/plain": "+1 415-555-0142", "image/png": "ava.chen@acme.com",
                                                     "application/vnd.plotly.v1+json": {"data": [{"text": ["bo@fjord.no"]}]}}),
        nbformat.v4.new_output("error", ename="ValueError", evalue="bad ava.chen@acme.com", traceback=["ava.chen@acme.com"]),
    ])
    nb = mask_notebook(nbformat.v4.new_notebook(cells=[cell]))
    stream, data, error = nb.cells[0].outputs
    assert stream.text == "a***@acme.com\n"
    assert data.data["text/plain"] == "***-**-42" and data.data["image/png"] == "ava.chen@acme.com"
    assert data.data["application/vnd.plotly.v1+json"] == {"data": [{"text": ["b***@fjord.no"]}]}
    assert error.evalue == "bad a***@acme.com" and error.traceback == ["a***@acme.com"]
    assert nb.cells[0].source == "show('ava.chen@acme.com')"
    nbformat.validate(nb)
