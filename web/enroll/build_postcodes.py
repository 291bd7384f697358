"""Build the static data of the enrollment form from the domain: postcodes.json and products.json.

    PYTHONPATH=layers/common .venv/bin/python web/enroll/build_postcodes.py

The outputs are committed (the form is plain static files, no build step at serve time);
tests/e2e/test_enrollment_form.py checks that they are up to date. Run this after changing
layers/common/wattdesk/domain/data/be_postcodes.txt or wattdesk.domain.catalogue.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from wattdesk.domain.catalogue import PRODUCTS
from wattdesk.domain.postcodes import all_postcodes, municipality_of

HERE = Path(__file__).resolve().parent
LANGUAGES = ("nl", "fr", "de", "en")


def postcodes_json() -> str:
    """Every known Belgian postcode -> its main municipality, one per line (readable diffs)."""
    table = {code: municipality_of(code) for code in sorted(all_postcodes())}
    return json.dumps(table, ensure_ascii=False, indent=0) + "\n"


def products_json() -> str:
    """The catalogue as the form needs it: what to show and how to filter, no prices."""
    products = [
        {
            "code": product.code,
            "names": {language: product.name(language) for language in LANGUAGES},
            "energy": product.energy,
            "customer_types": sorted(product.customer_types),
            "kind": product.kind,
            "valid_from": product.valid_from.isoformat(),
            "valid_until": product.valid_until.isoformat() if product.valid_until else None,
        }
        for product in PRODUCTS.values()  # catalogue order: the order the supplier wants them shown
    ]
    return json.dumps(products, ensure_ascii=False, indent=2) + "\n"


def outputs() -> dict[Path, str]:
    """Every generated file and its expected content (the test compares these with the disk)."""
    return {HERE / "postcodes.json": postcodes_json(), HERE / "products.json": products_json()}


def main() -> int:
    for path, text in outputs().items():
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path.relative_to(HERE.parents[1])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
