"""GS1 barcode data: the AI table, element strings, scanner data and Digital Link URIs.

    from conformance.gs1 import validate, convert
    result = validate("(01)09501101530003(17)250100(10)AB12")
    result.valid, result.ais, result.to_dict()
    convert("(01)09501101530003(10)AB12", "digital-link")
"""

from __future__ import annotations

from conformance.gs1.convert import FORMS, convert, to_bracketed, to_digital_link, to_unbracketed
from conformance.gs1.dictionary import AiEntry, AiTable, DictionaryError, default_table, load_dictionary
from conformance.gs1.digital_link import ConversionError
from conformance.gs1.outcome import DEFECT_SYSTEM, Element, Gs1Result, Issue
from conformance.gs1.validate import validate

__all__ = [
    "DEFECT_SYSTEM", "FORMS", "AiEntry", "AiTable", "ConversionError", "DictionaryError", "Element",
    "Gs1Result", "Issue", "convert", "default_table", "load_dictionary", "to_bracketed", "to_digital_link",
    "to_unbracketed", "validate",
]
