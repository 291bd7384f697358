"""Tenant isolation (issue 10): EVERY /me/... and /ops/... route of template.yaml, found when the test
runs (routes other issues add are covered without touching this file), is called

* without a token                                   -> 401 (the Cognito authorizer)
* as another customer (customer B, with customer A's ids in the path and body)
                                                    -> refused, and answered exactly as for ids that
                                                       do not exist (nothing tells that A's exist)
* as a signed-in user without any group, and as staff (operators) on /me routes -> refused
* as a customer on /ops routes                      -> refused
* as staff holding every group except the ones the route's handler asks for (read from the
  handler's `require_group(...)` call)              -> refused

"Refused" is 401, 403 or 404. Callers outside a route's audience (no group, a customer on /ops,
staff on /me) are refused before the body is validated (wattdesk.api); a 400 is accepted only for
callers of the right audience (staff of another group, another customer) when it is the
request-shape validation that runs before the handler (codes `invalid.*`, the same whatever ids
are sent) — those routes are listed in the test output. /me routes without path parameters answer B with B's own data: none of A's
identifiers may appear in the answers, and nothing stored under A may change.
"""

from __future__ import annotations

import ast
import json
import re
import uuid
from pathlib import Path

import pytest

from enrollment_support import ean as new_ean
from portal_support import bill, stored_customer, token_of
from support import ROOT
from wattdesk_local.template import load_template

pytestmark = pytest.mark.workflow

STAFF_GROUPS = ("operators", "approvers", "advisors", "supervisors")
REFUSED = (401, 403, 404)


# ------------------------------------------------------------------ the routes, from template.yaml
def protected_routes() -> list[tuple[str, str, str]]:
    """(METHOD, path, CodeUri) of every /me and /ops route in the template."""
    doc = load_template(ROOT / "template.yaml")
    routes = []
    for resource in doc["Resources"].values():
        if resource.get("Type") != "AWS::Serverless::Function":
            continue
        props = resource.get("Properties", {})
        for event in (props.get("Events") or {}).values():
            if event.get("Type") != "Api":
                continue
            path, method = event["Properties"]["Path"], event["Properties"]["Method"].upper()
            if path.startswith(("/me/", "/ops/")) or path in ("/me", "/ops"):
                routes.append((method, path, props["CodeUri"]))
    return sorted(routes)


def template_route_is_protected(method: str, path: str) -> bool:
    doc = load_template(ROOT / "template.yaml")
    for resource in doc["Resources"].values():
        for event in (resource.get("Properties", {}).get("Events") or {}).values():
            props = event.get("Properties", {})
            if event.get("Type") == "Api" and props.get("Path") == path and props.get("Method", "").upper() == method:
                return (props.get("Auth") or {}).get("Authorizer") == "CognitoAuthorizer"
    return False


def _strings(node: ast.Call) -> list[str]:
    return [arg.value for arg in node.args if isinstance(arg, ast.Constant) and isinstance(arg.value, str)]


def required_groups(code_uri: str) -> dict[tuple[str, str], set[str] | None]:
    """(METHOD, template path) -> the groups the handler's require_group call allows (following
    two levels of helper functions and `*CONSTANT` tuples), or None when no call is found."""
    source = (ROOT / code_uri / "app.py").read_text(encoding="utf-8")
    tree = ast.parse(source)
    constants: dict[str, list[str]] = {}
    helpers: dict[str, ast.FunctionDef] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name) and isinstance(node.value, ast.Tuple):
            constants[node.targets[0].id] = [e.value for e in node.value.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
    for node in ast.walk(tree):  # module-level helpers and the ones nested in the resolver factory
        if isinstance(node, ast.FunctionDef):
            helpers.setdefault(node.name, node)

    def groups_in(function: ast.AST, depth: int = 0) -> set[str] | None:
        found: set[str] | None = None
        for call in (n for n in ast.walk(function) if isinstance(n, ast.Call)):
            name = call.func.id if isinstance(call.func, ast.Name) else (call.func.attr if isinstance(call.func, ast.Attribute) else None)
            if name == "require_group":
                allowed = set(_strings(call))
                for arg in call.args:
                    if isinstance(arg, ast.Starred) and isinstance(arg.value, ast.Name):
                        allowed |= set(constants.get(arg.value.id, []))
                found = (found or set()) | allowed
            elif name in helpers and depth < 2 and helpers[name] is not function:
                inner = groups_in(helpers[name], depth + 1)
                if inner is not None:
                    found = (found or set()) | inner
        return found

    result: dict[tuple[str, str], set[str] | None] = {}
    for node in ast.walk(tree):
        if not isinstance(node, ast.FunctionDef):
            continue
        for decorator in node.decorator_list:
            if isinstance(decorator, ast.Call) and isinstance(decorator.func, ast.Attribute) and decorator.func.attr in ("get", "post", "put", "delete", "patch"):
                paths = _strings(decorator)
                if paths:
                    template_path = re.sub(r"<(\w+)>", r"{\1}", paths[0])
                    result[(decorator.func.attr.upper(), template_path)] = groups_in(node)
    return result


# ------------------------------------------------------------------ two customers with data
@pytest.fixture
def tenants(runtime, operator):
    runtime.only_schedules("nothing")
    alice = stored_customer(41, language="en", first_name="Alicia", last_name="Zandvoort", postcode="2000", street="Meir")
    bob = stored_customer(42, language="nl", first_name="Bruno", last_name="Vermeulen", postcode="2000", street="Meir")
    bill(runtime, operator, "2027-02-01")
    alice_headers, bob_headers = token_of(runtime, alice), token_of(runtime, bob)
    invoices = runtime.handle_api("GET", "/me/invoices", alice_headers).json()["items"]
    alice["invoice_number"] = invoices[0]["number"]
    alice["ogm"] = invoices[0]["ogm"]
    plan = runtime.handle_api("POST", "/me/payment-plans", alice_headers, {"invoice_numbers": [alice["invoice_number"]], "preferred_instalments": 3})
    assert plan.status == 201, plan.body
    alice["plan_id"] = plan.json()["plan_id"]
    request = runtime.handle_api("POST", "/me/requests", alice_headers, {"kind": "callback", "message": "Alicia calls back"})
    alice["request_id"] = request.json()["request_id"]
    assert runtime.handle_api("PUT", "/me/outage-notices", alice_headers, {"delivery_points": [{"ean": alice["ean"], "opt_in": True}]}).status == 200
    return {"alice": alice, "bob": bob, "alice_headers": alice_headers, "bob_headers": bob_headers}


def ids_of(alice: dict) -> dict[str, str]:
    return {
        "contract_id": alice["contract_id"], "number": alice["invoice_number"], "ean": alice["ean"], "plan_id": alice["plan_id"],
        "request_id": alice["request_id"], "customer_id": alice["customer_id"],
    }


def fake_ids() -> dict[str, str]:
    return {
        "contract_id": str(uuid.uuid4()), "number": "2027-A-999999", "ean": new_ean(), "plan_id": uuid.uuid4().hex[:12],
        "request_id": "R" + uuid.uuid4().hex[:15], "customer_id": str(uuid.uuid4()),
    }


def body_for(method: str, path: str, ids: dict[str, str]) -> dict | None:
    """A body a customer could send, naming the given ids wherever a body can name one."""
    if method in ("GET", "DELETE"):
        return None
    examples = {
        "/me/contracts/{contract_id}/advance": {"amount": "95.00", "reason": "isolation"},
        "/me/contracts/{contract_id}/product-change": {"product_code": "ELEC-VAR-1Y"},
        "/me/payment-plans": {"invoice_numbers": [ids["number"]], "preferred_instalments": 3},
        "/me/delivery-points/{ean}/readings": {"reading_date": "2027-01-04", "source": "customer", "registers": [{"register": "day", "value_kwh": "12345"}, {"register": "night", "value_kwh": "6789"}]},
        "/me/outage-notices": {"delivery_points": [{"ean": ids["ean"], "opt_in": False}]},
        "/me/requests": {"kind": "breaker_size", "contract_id": ids["contract_id"], "ean": ids["ean"], "message": "isolation"},
        "/me/contact": {"phone": "+32470000001", "customer_id": ids["customer_id"]},
        "/me/contact/email-verification": {"code": "123456"},
        "/me/bank-account": {"iban": "BE68539007547034", "account_holder": "Isolation", "customer_id": ids["customer_id"]},
        "/me/payment-method": {"method": "transfer", "customer_id": ids["customer_id"]},
        "/me/contracts/{contract_id}/move-out": {"move_date": "2027-02-15", "readings": [{"ean": ids["ean"], "registers": [{"register": "day", "value_kwh": "12400"}, {"register": "night", "value_kwh": "6800"}]}]},
        "/me/settlements/{number}/actual-readings": {"readings": [{"ean": ids["ean"], "registers": [{"register": "day", "value_kwh": "12400"}]}], "reason": "isolation"},
        "/me/payment-plans/{plan_id}/acceptance": {},
        "/me/payment-plans/{plan_id}/decline": {},
    }
    return examples.get(path, {"customer_id": ids["customer_id"]})


def concrete(path: str, ids: dict[str, str]) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: ids.get(m.group(1), "x"), path)


def codes(response) -> list[str]:
    try:
        return sorted(error["code"] for error in response.json().get("errors", []))
    except (ValueError, AttributeError):
        return []


def is_refusal(response) -> bool:
    if response.status in REFUSED:
        return True
    return response.status == 400 and bool(codes(response)) and all(code.startswith("invalid.") for code in codes(response))


def alice_items(runtime, alice: dict) -> list[dict]:
    table = runtime.client("dynamodb")
    items = []
    for pk in (f"CUSTOMER#{alice['customer_id']}", f"EAN#{alice['ean']}", f"PLAN#{alice['plan_id']}"):
        items += table.query(TableName="wattdesk-WattDeskTable", KeyConditionExpression="PK = :pk", ExpressionAttributeValues={":pk": {"S": pk}}, ConsistentRead=True)["Items"]
    return sorted(items, key=lambda item: (item["PK"]["S"], item["SK"]["S"]))


def test_the_matrix_covers_every_me_and_ops_route_of_the_template():
    routes = protected_routes()
    paths = {path for _method, path, _code in routes}
    # The portal's own routes and routes of earlier issues are all found (the list grows by itself).
    assert {"/me/overview", "/me/invoices", "/me/requests", "/ops/queue", "/ops/customers/{customer_id}", "/me/invoices/{number}/pdf", "/ops/billing-runs"} <= paths
    unprotected = [(method, path) for method, path, _code in routes if not template_route_is_protected(method, path)]
    assert unprotected == [], f"/me and /ops routes without the Cognito authorizer: {unprotected}"


def test_every_me_and_ops_route_refuses_other_customers_wrong_groups_and_anonymous_callers(runtime, tenants, capsys):
    alice, bob = tenants["alice"], tenants["bob"]
    bob_headers = tenants["bob_headers"]
    no_group = {"Authorization": runtime.login("nobody.in.a.group@wattdesk.example", [])["id_token"]}
    staff = {"Authorization": runtime.login("an.operator@wattdesk.example", ["operators"])["id_token"]}
    before = alice_items(runtime, alice)
    alice_markers = {alice["customer_id"], alice["contract_id"], alice["ean"], alice["invoice_number"], alice["plan_id"], alice["request_id"], alice["email"], "Alicia", "Zandvoort"}
    groups_by_module: dict[str, dict] = {}
    holes: list[str] = []
    validation_only: list[str] = []

    def check(label: str, response, validation_counts: bool = False) -> None:
        # Callers outside a route's audience (no group; a customer on /ops; staff on /me) are
        # refused before any validation; only a caller of the right audience may see a 400.
        if not is_refusal(response) or (response.status == 400 and not validation_counts):
            holes.append(f"{label}: {response.status} {response.body[:200]!r}")
        elif response.status == 400:
            validation_only.append(label)

    for method, path, code_uri in protected_routes():
        real, fake = ids_of(alice), fake_ids()
        target, body = concrete(path, real), body_for(method, path, real)

        anonymous = runtime.handle_api(method, target, {}, body)
        if anonymous.status != 401:
            holes.append(f"{method} {path} without a token: {anonymous.status}")
        check(f"{method} {path} signed in without a group", runtime.handle_api(method, target, no_group, body))

        if path.startswith("/ops/"):
            check(f"{method} {path} as a customer", runtime.handle_api(method, target, bob_headers, body))
            groups = groups_by_module.setdefault(code_uri, required_groups(code_uri)).get((method, path))
            if groups is None:
                holes.append(f"{method} {path}: no require_group(...) found in {code_uri}app.py")
            else:
                others = [group for group in STAFF_GROUPS if group not in groups]
                if others:
                    token = {"Authorization": runtime.login("staff.without.the.group@wattdesk.example", others)["id_token"]}
                    check(f"{method} {path} as staff in {others} (needs {sorted(groups)})", runtime.handle_api(method, target, token, body), validation_counts=True)
            continue

        # /me routes: staff have no customer; B must not reach A's data.
        check(f"{method} {path} as staff", runtime.handle_api(method, target, staff, body))
        as_bob = runtime.handle_api(method, target, bob_headers, body)
        sent = target + json.dumps(body or {})
        # What B did not send itself must not come back (an error may echo B's own input).
        leaked = sorted(marker for marker in alice_markers if marker in as_bob.body.decode("utf-8", "replace") and marker not in sent)
        # A forged "customer_id" in a body is ignored by design (B then changes B's own data; the
        # snapshot of A's records and the leak check cover it); A's resource ids must be refused.
        names_alice = any(value in sent for key, value in real.items() if key != "customer_id")
        if "{" in path:
            check(f"{method} {path} as another customer", as_bob, validation_counts=True)
        elif names_alice and 200 <= as_bob.status < 300:
            holes.append(f"{method} {path}: customer B acted on customer A's ids: {as_bob.status}")
        if names_alice:
            twin = runtime.handle_api(method, concrete(path, fake), bob_headers, body_for(method, path, fake))
            if (as_bob.status, codes(as_bob)) != (twin.status, codes(twin)):
                holes.append(f"{method} {path}: A's ids answer {as_bob.status} {codes(as_bob)}, unknown ids {twin.status} {codes(twin)} (existence leaks)")
        if leaked:
            holes.append(f"{method} {path} as another customer shows A's data: {leaked}")

    assert alice_items(runtime, alice) == before, "a call by someone else changed customer A's records"
    with capsys.disabled():
        if validation_only:
            print("\nrefused by request validation before the handler (no resource read):\n  " + "\n  ".join(validation_only))
    assert holes == [], "\n".join(holes)
