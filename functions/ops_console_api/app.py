"""Ops console (issue 10): one queue over all work, customer search, customer detail with its
audit trail. Read-only. Shapes: docs/portal.md."""

from __future__ import annotations

from functools import cache
from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Path, Query

from wattdesk.api import NotFound, make_resolver, require_group
from wattdesk.domain.errors import DomainError
from wattdesk.observability import lambda_handler
from wattdesk.services import ops_console as service

STAFF = ("operators", "supervisors", "advisors", "approvers")


@cache
def _app():
    app = make_resolver()

    @app.get("/ops/queue")
    def work_queue(
        kind: Annotated[str | None, Query(max_length=300)] = None,
        min_age_days: Annotated[int | None, Query(ge=0, le=3650)] = None,
        sla: Annotated[str | None, Query(pattern=r"^(breached|ok)$")] = None,
    ):
        require_group(app, *STAFF)
        # kind=a,b or kind=a&kind=b (API Gateway hands repeated parameters over as a list).
        raw = app.current_event.multi_value_query_string_parameters or {}
        kinds = [part for value in (raw.get("kind") or ([kind] if kind else [])) for part in str(value).split(",") if part]
        unknown = [k for k in kinds if k not in service.KINDS]
        if unknown:
            raise DomainError("queue.kind", f"Kind is one of {', '.join(service.KINDS)}.", "kind")
        return service.queue(kinds or None, min_age_days, sla)

    @app.get("/ops/customers")
    def search(q: Annotated[str, Query(min_length=2, max_length=100)]):
        require_group(app, *STAFF)
        return service.search(q)

    @app.get("/ops/customers/<customer_id>")
    def customer(customer_id: Annotated[str, Path(max_length=64)]):
        require_group(app, *STAFF)
        found = service.detail(customer_id)
        if found is None:
            raise NotFound("This customer")
        return found

    return app


@lambda_handler
def handler(event, context):
    return _app().resolve(event, context)
