"""The intake form, generated from the intake JSON Schema so it always matches the document.

Sections follow the document; repeated rows (intermediaries, people) are FieldLists. Validation
is the schema's (same messages as the CLI), mapped back onto the fields; WTForms only coerces
types and guards CSRF.
"""
from __future__ import annotations

from functools import cache

import pycountry
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    Field,
    FieldList,
    FloatField,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import Optional
from wtforms.widgets import CheckboxInput, ListWidget

from riskdesk.engine.document import _resolve, schema, state_codes
from riskdesk.engine.labels import country_label, value_label

TRISTATE_CHOICES = [("unknown", "Unknown"), ("yes", "Yes"), ("no", "No")]


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class LinesField(TextAreaField):
    """A list of short strings, one per line (e.g. vendor names)."""

    def _value(self):
        return "\n".join(self.data or []) if isinstance(self.data, list) else (self.data or "")

    def process_formdata(self, valuelist):
        text = valuelist[0] if valuelist else ""
        self.data = [line.strip() for line in text.splitlines() if line.strip()]


class Required:
    """Marks a field the schema requires (label and ``required`` attribute); the schema does the checking."""

    field_flags = {"required": True}

    def __call__(self, form, field):
        """No check here: a draft may leave required fields blank."""


@cache
def country_choices() -> list[tuple[str, str]]:
    """Countries as the city writes them (Taiwan, South Korea), sorted by that name."""
    return [("", "— choose —")] + sorted(((c.alpha_2, f"{country_label(c.alpha_2)} ({c.alpha_2})")
                                          for c in pycountry.countries), key=lambda pair: pair[1])


@cache
def state_choices() -> list[tuple[str, str]]:
    """States by name (Alabama before Alaska), each with its postal code."""
    names = {s.code.split("-", 1)[1]: s.name for s in pycountry.subdivisions.get(country_code="US")}
    return [("", "— choose —")] + sorted(((code, f"{names[code]} ({code})") for code in state_codes()),
                                         key=lambda pair: pair[1])


def _label(name: str, node: dict) -> str:
    if not node.get("title"):
        raise KeyError(f"schema field {name!r} has no title: add one in schema.json")
    return node["title"]


def _field_for(name: str, node: dict, required: bool, path: str = "") -> Field:
    node = _resolve(node)
    label = _label(name, node)
    path = f"{path}.{name}" if path else name
    marks = [Required()] if required else []
    description = node.get("description", "")
    kind = node.get("type")
    if kind == "object":
        return FormField(build_form_class(node, path=path), label=label)
    if kind == "array":
        items = _resolve(node["items"])
        if items.get("type") == "object":
            return FieldList(FormField(build_form_class(items, row=True, path=f"{path}[]")), label=label,
                             min_entries=0, max_entries=node.get("maxItems"))
        if "enum" in items:
            return MultiCheckboxField(label, choices=[(v, value_label(f"{path}[]", v)) for v in items["enum"]],
                                      description=description)
        return LinesField(label, description=description or "One per line.")
    if "enum" in node:
        values = node["enum"]
        if set(values) == {"yes", "no", "unknown"}:
            return SelectField(label, choices=TRISTATE_CHOICES, default="unknown", description=description)
        choices = [(v, value_label(path, v)) for v in values]
        if "default" not in node:
            choices = [("", "— choose —")] + choices
        return SelectField(label, choices=choices, default=node.get("default", ""), description=description,
                           validators=marks)
    fmt = node.get("format", "")
    if fmt.startswith("iso3166"):
        return SelectField(label, choices=country_choices(), default="", description=description, validators=marks)
    if fmt == "us-state":
        return SelectField(label, choices=state_choices(), default="", description=description, validators=marks)
    types = kind if isinstance(kind, list) else [kind]
    if "integer" in types:
        return IntegerField(label, validators=[Optional(), *marks], description=description)
    if "number" in types:
        return FloatField(label, validators=[Optional(), *marks], description=description)
    if node.get("maxLength", 0) > 200:
        return TextAreaField(label, description=description, validators=marks)
    return StringField(label, description=description, validators=marks)


def build_form_class(node: dict | None = None, row: bool = False, path: str = "") -> type[Form]:
    node = node or schema()
    attrs = {}
    required = set(node.get("required", ()))
    for name, sub in node["properties"].items():
        attrs[name] = _field_for(name, sub, name in required, path)
    if row:
        attrs["remove"] = BooleanField("Remove this row")
    return type("SectionForm" if node is not schema() else "DocumentForm", (Form,), attrs)


class ImportForm(FlaskForm):
    file = FileField("Intake document (YAML or JSON)")
    submit = SubmitField("Import")
    # After "an identical proposal exists": the same document again, imported only on "Import anyway".
    content = HiddenField()
    filename = HiddenField()
    import_anyway = SubmitField("Import anyway, as a second proposal")


class IntakeForm(FlaskForm):
    """The whole intake document plus the controls around it."""

    version_id = HiddenField()
    attachment = FileField("Attach the draft agreement (PDF, DOCX or plain text, up to 10 MB)")
    save_draft = SubmitField("Save draft")
    save = SubmitField("Save and check")
    save_anyway = SubmitField("Save anyway, as a second proposal")
    add_intermediary = SubmitField("Add an intermediary")
    add_person = SubmitField("Add a person")


@cache
def intake_form_class() -> type[IntakeForm]:
    """The intake form class, built once from the schema (sections are nested Forms without CSRF)."""
    attrs = {"document": FormField(build_form_class(), label="Proposal", separator="-")}
    return type("BoundIntakeForm", (IntakeForm,), attrs)


def form_to_document(form: Form) -> dict:
    """The document the user typed (values as given; the schema validates them)."""
    def convert(field: Field):
        if isinstance(field, FormField):
            # Blank answers are left out: the schema's defaults fill them, and a blank required
            # field reads "is required" rather than "'' is not a country code".
            values = {name: convert(sub) for name, sub in field.form._fields.items() if name != "remove"}
            return {name: value for name, value in values.items() if value not in ("", None)}
        if isinstance(field, FieldList):
            rows = []
            for entry in field.entries:
                if entry.form._fields.get("remove") is not None and entry.form.remove.data:
                    continue
                row = convert(entry)
                if any(v not in ([], "unknown", "other") for v in row.values()):
                    rows.append(row)
            return rows
        data = field.data
        if isinstance(field, (IntegerField, FloatField)):
            return data
        if isinstance(field, (SelectMultipleField, LinesField)):
            return list(data or [])
        return (data or "").strip() if isinstance(data, str) else (data if data is not None else "")

    return convert(form.document)


def error_items(form: Form) -> list[tuple[str, str, str]]:
    """Every field error of the intake form as (field id, label, message), in form order, for the summary."""
    items: list[tuple[str, str, str]] = []

    def walk(field: Field, prefix: str) -> None:
        if isinstance(field, FormField):
            for sub in field.form:
                walk(sub, prefix)
        elif isinstance(field, FieldList):
            for index, entry in enumerate(field.entries, start=1):
                walk(entry, f"{prefix}{field.label.text}, row {index}: ")
        elif field.errors and not isinstance(field.errors, dict):
            for message in field.errors:
                items.append((field.id, f"{prefix}{field.label.text}", str(message)))

    for field in form:
        walk(field, "")
    return items
