"""Products API (issue 5): ops manage products and their price periods, and read the ops alerts
(a month without an index value holds billing)."""

from __future__ import annotations

from datetime import date
from functools import cache
from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from pydantic import BaseModel, Field

from wattdesk import clock
from wattdesk.api import ApiError, Conflict, NotFound, make_resolver, require_group
from wattdesk.domain.errors import DomainError
from wattdesk.observability import lambda_handler
from wattdesk.services import products

CODE = r"^[A-Z0-9][A-Z0-9-]{2,39}$"
PRICE = r"^\d{1,3}(\.\d{1,6})?$"


class Names(BaseModel):
    nl: str = Field(min_length=1, max_length=80)
    fr: str = Field(min_length=1, max_length=80)
    de: str = Field(min_length=1, max_length=80)
    en: str = Field(min_length=1, max_length=80)


class Formula(BaseModel):
    a: str = Field(pattern=PRICE, description="Euro per kWh per index point, e.g. 0.00105 (index in euro/MWh).")
    b: str = Field(default="0", pattern=PRICE)
    index: str = Field(min_length=2, max_length=40, description="The index name ops load monthly, e.g. BELPEX_ELEC.")


class Period(BaseModel):
    valid_from: date
    valid_until: date | None = None
    energy_prices: dict[Literal["single", "day", "night", "exclusive_night"], Annotated[str, Field(pattern=PRICE)] | Formula]
    yearly_fee: str = Field(pattern=r"^\d{1,5}(\.\d{1,2})?$")


class ProductBody(BaseModel):
    names: Names
    energy: Literal["electricity", "gas"]
    customer_types: list[Literal["residential", "professional"]] = Field(min_length=1, max_length=2)
    kind: Literal["fixed", "variable"]
    valid_from: date
    valid_until: date | None = None
    energy_prices: dict[Literal["single", "day", "night", "exclusive_night"], Annotated[str, Field(pattern=PRICE)]] = Field(description="Indicative prices per kWh (the first advance is computed with them).")
    yearly_fee: str = Field(pattern=r"^\d{1,5}(\.\d{1,2})?$")
    network_and_levies_per_kwh: str = Field(pattern=PRICE)
    version: int | None = Field(default=None, ge=1, description="The version read; a change since then is refused (409).")


class NewProduct(ProductBody):
    code: str = Field(pattern=CODE)
    periods: list[Period] = Field(min_length=1, max_length=100)


class PricesBody(BaseModel):
    periods: list[Period] = Field(min_length=1, max_length=100)
    version: int | None = Field(default=None, ge=0)


def _data(body: BaseModel) -> dict[str, Any]:
    return body.model_dump(mode="json", exclude={"version", "code"})


def _refused(exc: DomainError) -> ApiError:
    # Well-formed but against a rule (overlap, gap, coverage, history...): 422 naming the field.
    return ApiError(422, exc.code, exc.message, exc.field)


@cache
def _app():
    app = make_resolver()

    @app.get("/ops/products")
    def list_products():
        require_group(app, "operators")
        return {"items": products.listing(clock.today_in_brussels())}

    @app.post("/ops/products")
    def create_product(body: NewProduct):
        operator = require_group(app, "operators")
        try:
            return products.create(body.code, _data(body), operator.username, clock.now()), 201
        except DomainError as exc:
            raise _refused(exc) from exc

    @app.get("/ops/products/<code>")
    def read_product(code: Annotated[str, Path(pattern=CODE)]):
        require_group(app, "operators")
        try:
            return products.view(code)
        except products.ProductNotFound as exc:
            raise NotFound("This product") from exc

    @app.put("/ops/products/<code>")
    def change_product(code: Annotated[str, Path(pattern=CODE)], body: ProductBody):
        operator = require_group(app, "operators")
        try:
            return products.update(code, _data(body), operator.username, clock.now(), version=body.version)
        except products.ProductNotFound as exc:
            raise NotFound("This product") from exc
        except products.VersionConflict as exc:
            raise Conflict("product.version", str(exc)) from exc
        except DomainError as exc:
            raise _refused(exc) from exc

    @app.put("/ops/products/<code>/prices")
    def set_prices(code: Annotated[str, Path(pattern=CODE)], body: PricesBody):
        operator = require_group(app, "operators")
        rows = [period.model_dump(mode="json") for period in body.periods]
        try:
            return products.set_prices(code, rows, operator.username, clock.now(), clock.today_in_brussels(), version=body.version)
        except products.ProductNotFound as exc:
            raise NotFound("This product") from exc
        except products.VersionConflict as exc:
            raise Conflict("prices.version", str(exc)) from exc
        except DomainError as exc:
            raise _refused(exc) from exc

    @app.get("/ops/alerts")
    def list_alerts(status: Annotated[Literal["OPEN", "RESOLVED"], Query()] = "OPEN"):
        require_group(app, "operators")
        return {"items": products.alerts(status)}

    return app


@lambda_handler
def handler(event, context):
    return _app().resolve(event, context)
