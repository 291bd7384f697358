"""Group purchases: an organiser's file becomes one enrollment per row, through the same rules
and the same Enrollment workflow as a single enrollment (docs/group-purchases.md).

The file arrives through the API or the S3 prefix `group-purchases/incoming/<campaign>/`; the
GroupPurchaseImport state machine checks its shape, submits every row (distributed Map), waits
until every row's enrollment reached a stable status, then mails the organiser the report.
Each row's enrollment reports its status changes back (follow_enrollment), so the counters are
live while the run goes on and after it (the grid operator confirms later).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import secrets
import uuid
from dataclasses import asdict
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import unquote_plus

from pynamodb.exceptions import TransactWriteError

from wattdesk import clock
from wattdesk.adapters import spreadsheet
from wattdesk.adapters.aws import client
from wattdesk.adapters.mail import Attachment, Mail
from wattdesk.adapters.mail_texts import render
from wattdesk.domain import group_purchase as rows_domain
from wattdesk.domain.catalogue import PRODUCTS
from wattdesk.domain.contact import validate_email
from wattdesk.domain.errors import DomainError, ValidationProblem
from wattdesk.observability import logger
from wattdesk.services import enrollment as enrollment_service
from wattdesk.settings import get_settings
from wattdesk.stores import credits
from wattdesk.stores import enrollments as enrollment_store
from wattdesk.stores import group_purchases as store
from wattdesk.stores import sent_mail
from wattdesk.stores.base import plain

MAX_ROWS = 20_000
INCOMING_PREFIX = "group-purchases/incoming/"


class InvalidFile(Exception):
    """The file or its campaign cannot be imported; every problem at once, nothing started."""

    def __init__(self, problems: list[ValidationProblem]):
        super().__init__("; ".join(p.code for p in problems))
        self.problems = problems


class NotAllowedNow(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def bucket() -> str:
    return os.environ.get("GROUP_PURCHASE_BUCKET") or get_settings().documents_bucket


# ------------------------------------------------------------------ campaigns
def _amount(value: Any, field: str) -> str | None:
    if value in (None, ""):
        return None
    try:
        amount = Decimal(str(value))
    except InvalidOperation as exc:
        raise InvalidFile([ValidationProblem(field, "campaign.amount", "An amount in euro, e.g. 25.00.")]) from exc
    if amount < 0 or amount > 1000 or amount.as_tuple().exponent < -2:
        raise InvalidFile([ValidationProblem(field, "campaign.amount", "An amount between 0 and 1000 euro, in cents at most.")])
    return f"{amount:.2f}"


def save_campaign(code: str, settings: dict[str, Any], actor: str) -> store.Campaign:
    problems = []
    product = PRODUCTS.get(settings.get("product_code") or "")
    if product is None:
        problems.append(ValidationProblem("product_code", "product.unknown", "No such product in the catalogue."))
    gas = settings.get("gas_product_code")
    if gas and (gas not in PRODUCTS or PRODUCTS[gas].energy != "gas"):
        problems.append(ValidationProblem("gas_product_code", "product.unknown", "No such gas product in the catalogue."))
    organiser = settings.get("organiser_email")
    if organiser:
        try:
            organiser = validate_email(organiser)
        except DomainError as exc:
            problems.append(ValidationProblem("organiser_email", exc.code, exc.message))
    if problems:
        raise InvalidFile(problems)
    values = {
        "name": settings.get("name"),
        "product_code": settings["product_code"],
        "gas_product_code": gas or None,
        "organiser_email": organiser or None,
        "organiser_language": settings.get("organiser_language") or "nl",
        "welcome_credit": _amount(settings.get("welcome_credit"), "welcome_credit") or "0.00",
        "referrer_credit": _amount(settings.get("referrer_credit"), "referrer_credit"),
        "referred_credit": _amount(settings.get("referred_credit"), "referred_credit"),
        "start_date": str(settings["start_date"]) if settings.get("start_date") else None,
    }
    return store.put_campaign(code, {key: value for key, value in values.items() if value is not None}, actor, clock.now())


def campaign_view(campaign: store.Campaign) -> dict[str, Any]:
    return {
        "campaign_code": campaign.code,
        "name": campaign.name,
        "product_code": campaign.product_code,
        "gas_product_code": campaign.gas_product_code,
        "organiser_email": campaign.organiser_email,
        "organiser_language": campaign.organiser_language,
        "welcome_credit": campaign.welcome_credit,
        "referrer_credit": campaign.referrer_credit,
        "referred_credit": campaign.referred_credit,
        "start_date": campaign.start_date,
        "updated_by": campaign.updated_by,
        "updated_at": campaign.updated_at,
    }


def _terms(campaign: store.Campaign, product_code: str) -> dict[str, Any]:
    return {
        "campaign_code": campaign.code,
        "product_code": product_code,
        "product_energy": PRODUCTS[product_code].energy,
        "gas_product_code": campaign.gas_product_code,
        "start_date": campaign.start_date,
        "organiser_email": campaign.organiser_email,
        "organiser_language": campaign.organiser_language,
        "welcome_credit": campaign.welcome_credit,
        "referrer_credit": campaign.referrer_credit,
        "referred_credit": campaign.referred_credit,
    }


def _campaign_terms(terms: dict[str, Any]) -> rows_domain.CampaignTerms:
    return rows_domain.CampaignTerms(
        campaign_code=terms["campaign_code"],
        product_code=terms["product_code"],
        product_energy=terms["product_energy"],
        gas_product_code=terms.get("gas_product_code"),
        start_date=date.fromisoformat(terms["start_date"]) if terms.get("start_date") else None,
    )


# ------------------------------------------------------------------ receiving a file
def _shape(content: bytes, file_name: str) -> tuple[spreadsheet.Sheet | None, list[dict[str, Any]], tuple[str, ...]]:
    """The file read and its shape judged: (sheet, problems, ignored columns)."""
    try:
        sheet = spreadsheet.read(content, file_name, MAX_ROWS)
    except spreadsheet.UnreadableFile as exc:
        return None, [{"code": exc.code, "message": exc.message, "columns": []}], ()
    shape = rows_domain.check_shape(sheet.header, len(sheet.rows), MAX_ROWS)
    return sheet, [{"code": p.code, "message": p.message, "columns": list(p.columns)} for p in shape.problems], shape.ignored


def receive_upload(campaign_code: str, product_code: str, file_name: str, content: bytes, actor: str, state_machine_arn: str) -> tuple[dict[str, Any], bool]:
    """An upload by ops: refused at once (InvalidFile, nothing stored) when the campaign, product
    or the file's shape is wrong; else the import, started once per campaign and file content.
    Returns (view, created)."""
    campaign = store.get_campaign(campaign_code)
    if campaign is None:
        raise InvalidFile([ValidationProblem("campaign_code", "campaign.unknown", "No such campaign; create it first (PUT /ops/campaigns/{code}) or send its settings.")])
    if product_code not in (campaign.product_code, campaign.gas_product_code):
        raise InvalidFile([ValidationProblem("product_code", "campaign.product_not_offered", f"The campaign offers {campaign.product_code}.")])
    _, problems, _ = _shape(content, file_name)
    if problems:
        raise InvalidFile([ValidationProblem("file", p["code"], p["message"]) for p in problems])
    import_id = rows_domain.import_id_for(campaign_code, content)
    key = f"group-purchases/uploads/{import_id}/{_safe_name(file_name)}"
    client("s3").put_object(Bucket=bucket(), Key=key, Body=content, ServerSideEncryption="aws:kms")
    return _start(import_id, campaign, product_code, file_name, bucket(), key, content, "api", actor, state_machine_arn)


def _safe_name(file_name: str) -> str:
    name = os.path.basename(file_name.replace("\\", "/")) or "file"
    return "".join(char if char.isalnum() or char in "._-" else "_" for char in name)[:120]


def _start(import_id: str, campaign: store.Campaign, product_code: str, file_name: str, file_bucket: str, file_key: str, content: bytes, source: str, actor: str, state_machine_arn: str) -> tuple[dict[str, Any], bool]:
    record, created = store.create_import(
        import_id,
        clock.now(),
        campaign_code=campaign.code,
        terms_json=json.dumps(_terms(campaign, product_code), sort_keys=True),
        source=source,
        file_name=file_name[:200],
        file_bucket=file_bucket,
        file_key=file_key,
        file_sha256=hashlib.sha256(content).hexdigest(),
        uploaded_by=actor,
        status="RECEIVED",
    )
    if created:
        _start_execution(state_machine_arn, import_id, import_id, rerun=False)
    return view(store.get_import(import_id)), created


def _start_execution(state_machine_arn: str, name: str, import_id: str, rerun: bool) -> None:
    sfn = client("stepfunctions")
    try:
        sfn.start_execution(stateMachineArn=state_machine_arn, name=name, input=json.dumps({"import_id": import_id, "rerun": rerun}))
    except sfn.exceptions.ExecutionAlreadyExists:
        pass


def receive_dropped(bucket_name: str, raw_key: str, state_machine_arn: str) -> dict[str, Any]:
    """A file dropped under group-purchases/incoming/<campaign>/...: the same import as an upload.
    An unknown campaign is recorded as a refused import (ops see it in the list)."""
    key = unquote_plus(raw_key)
    rest = key.removeprefix(INCOMING_PREFIX)
    campaign_code, _, file_name = rest.partition("/")
    campaign_code = campaign_code.strip().upper()
    if not key.startswith(INCOMING_PREFIX) or not file_name or file_name.endswith("/"):
        logger().warning("group purchase drop ignored: not <prefix>/<campaign>/<file>", extra={"key": key[:200]})
        return {"ignored": key}
    content = client("s3").get_object(Bucket=bucket_name, Key=key)["Body"].read(spreadsheet.MAX_FILE_BYTES + 1)
    import_id = rows_domain.import_id_for(campaign_code, content)
    campaign = store.get_campaign(campaign_code)
    if campaign is None:
        record, _ = store.create_import(
            import_id, clock.now(), campaign_code=campaign_code, terms_json="{}", source="s3", file_name=file_name[:200], file_bucket=bucket_name,
            file_key=key, file_sha256="", uploaded_by="s3", status="REFUSED",
            problems_json=json.dumps([{"code": "campaign.unknown", "message": f"No campaign {campaign_code}; nothing was imported.", "columns": []}]),
        )
        return view(record)
    result, _ = _start(import_id, campaign, campaign.product_code, file_name, bucket_name, key, content, "s3", "s3", state_machine_arn)
    return result


def rerun_failed(import_id: str, state_machine_arn: str) -> dict[str, Any]:
    record = store.get_import(import_id)
    if record.status not in ("COMPLETED", "FAILED"):
        raise NotAllowedNow("group_purchase.not_finished", "Only a finished import can re-run its failed rows.")
    missing = int(record.total) - sum(int(getattr(record, name)) for name in rows_domain.OUTCOMES)
    if int(record.failed) == 0 and missing <= 0 and record.status != "FAILED":
        raise NotAllowedNow("group_purchase.nothing_failed", "No row of this import failed.")
    _start_execution(state_machine_arn, f"{import_id}-rerun-{int(record.runs) + 1}", import_id, rerun=True)
    return {"import_id": import_id, "status": "RUNNING"}


# ------------------------------------------------------------------ the state machine's steps
def _rows_key(import_id: str, run: int) -> tuple[str, str]:
    base = f"group-purchases/imports/{import_id}/run-{run}"
    return f"{base}/rows.jsonl", f"{base}/items.json"


def check_file(import_id: str, rerun: bool) -> dict[str, Any]:
    """Reads the file and judges its shape; refused: nothing started. Accepted: the rows go to
    S3 as JSON lines (the row data never enters the execution history) and the Map's items are
    only row numbers with the byte range of their line."""
    record = store.get_import(import_id)
    s3 = client("s3")
    content = s3.get_object(Bucket=record.file_bucket, Key=record.file_key)["Body"].read(spreadsheet.MAX_FILE_BYTES + 1)
    sheet, problems, ignored = _shape(content, record.file_name)
    if problems or sheet is None:
        store.update_import(import_id, status="REFUSED", problems_json=json.dumps(problems), finished_at=clock.now().isoformat())
        return {"outcome": "refused", "count": 0, "bucket": "", "key": ""}
    shape = rows_domain.check_shape(sheet.header, len(sheet.rows), MAX_ROWS)
    done_rows = {}
    if rerun:
        done_rows = {row.row: row.outcome for row in store.rows(import_id)}
    run = store.start_run(import_id, "RUNNING")
    lines, items, offset = [], [], 0
    numbers = sheet.row_numbers or list(range(2, len(sheet.rows) + 2))
    for number, cells in zip(numbers, sheet.rows):
        if rerun and done_rows.get(number) not in (None, "failed"):
            continue
        values = rows_domain.row_values(shape, cells)
        raw = {name: cells[index] for index, name in enumerate(shape.columns) if name in rows_domain.IDENTIFIER_COLUMNS and index < len(cells)}
        cell_problems = [asdict(p) for p in rows_domain.number_cell_problems(raw)]
        line = (json.dumps({"row": number, "values": values, "cell_problems": cell_problems}, ensure_ascii=False) + "\n").encode("utf-8")
        items.append({"row": number, "offset": offset, "length": len(line)})
        lines.append(line)
        offset += len(line)
    rows_key, items_key = _rows_key(import_id, run)
    s3.put_object(Bucket=bucket(), Key=rows_key, Body=b"".join(lines), ServerSideEncryption="aws:kms")
    s3.put_object(Bucket=bucket(), Key=items_key, Body=json.dumps(items).encode(), ContentType="application/json", ServerSideEncryption="aws:kms")
    changes: dict[str, Any] = {"rows_key": rows_key, "ignored_columns": list(ignored)}
    if not rerun:
        changes["total"] = len(sheet.rows)
    store.update_import(import_id, **changes)
    return {"outcome": "accepted", "bucket": bucket(), "key": items_key, "count": len(items), "run": run}


def _read_row(import_id: str, offset: int, length: int) -> tuple[dict[str, Any], store.GroupPurchaseImport]:
    record = store.get_import(import_id)
    body = client("s3").get_object(Bucket=bucket(), Key=record.rows_key, Range=f"bytes={offset}-{offset + length - 1}")["Body"].read()
    return json.loads(body), record


def submit_row(import_id: str, row: int, offset: int, length: int) -> dict[str, Any]:
    """One row: hard errors reject it; a row key used before makes it a duplicate; else its
    enrollment is created and the Enrollment workflow started, as for a single enrollment."""
    existing = store.get_row(import_id, row)
    if existing is not None and existing.outcome not in ("failed", "processing"):
        return {"outcome": existing.outcome}  # a replay: this row is done
    old = existing.outcome if existing is not None else None
    line, record = _read_row(import_id, offset, length)
    terms = record.terms
    now = clock.now()
    payload, cell_problems = rows_domain.to_payload(line["values"], _campaign_terms(terms))
    problems = [(p["code"], p["column"]) for p in line.get("cell_problems", [])] + [(p.code, p.column) for p in cell_problems]
    request = None
    try:
        request = enrollment_service.check(payload, clock.today_in_brussels())
    except enrollment_service.InvalidEnrollment as exc:
        problems += [(p.code, rows_domain.column_of(p.field)) for p in exc.problems]
    reference = line["values"].get("row_reference") or None
    if problems or request is None:
        codes = list(dict.fromkeys(code for code, _ in problems))
        columns = list(dict.fromkeys(column for _, column in problems if column))
        store.move_row(import_id, row, old, "rejected", now, codes=codes, columns=columns, row_reference=reference)
        return {"outcome": "rejected"}
    key = rows_domain.row_key(terms["campaign_code"], request.delivery_points[0].ean, request.customer.email)
    holder = store.claim_key(key, str(uuid.uuid4()), secrets.token_urlsafe(24), import_id, row, now)
    if (holder.import_id, int(holder.row)) != (import_id, row):
        code = "row.duplicate" if holder.import_id == import_id else "row.already_imported"
        store.move_row(import_id, row, old, "duplicate", now, enrollment_id=holder.enrollment_id, codes=[code], columns=[], row_reference=reference)
        return {"outcome": "duplicate", "enrollment_id": holder.enrollment_id}
    enrollment_id = holder.enrollment_id
    replay = holder.state == "STARTED" or old == "processing"
    if holder.state != "STARTED":
        store.link_enrollment(enrollment_id, import_id, row, terms["campaign_code"])
        if old != "processing":
            store.move_row(import_id, row, old, "processing", now, enrollment_id=enrollment_id, codes=[], columns=[], row_reference=reference)
        _create_and_start(enrollment_id, request.model_dump(mode="json"), holder.status_token or "", now)
        store.key_started(key)
    if replay:
        follow_enrollment(enrollment_id)  # the workflow may have moved while this row was retried
    return {"outcome": "submitted", "enrollment_id": enrollment_id}


def _create_and_start(enrollment_id: str, payload: dict[str, Any], token: str, now) -> None:
    """enrollment_service.submit with a given id and token, safe to repeat: the record is created
    once (its condition), the workflow started once (its execution name)."""
    try:
        enrollment_store.create(enrollment_id, payload, token, now)
    except TransactWriteError as exc:
        codes = [reason.code if reason is not None else None for reason in exc.cancellation_reasons or []]
        if "ConditionalCheckFailed" not in codes:
            raise
    sfn = client("stepfunctions")
    link = enrollment_service.status_url(enrollment_id, token)
    try:
        sfn.start_execution(stateMachineArn=get_settings().enrollment_state_machine_arn, name=f"enrollment-{enrollment_id}", input=json.dumps({"enrollment_id": enrollment_id, "status_url": link}))
    except sfn.exceptions.ExecutionAlreadyExists:
        pass


def record_row_failure(import_id: str, row: int, error: str) -> None:
    existing = store.get_row(import_id, row)
    if existing is not None and existing.enrollment_id and existing.outcome != "failed":
        try:
            enrollment_store.get(existing.enrollment_id)
            follow_enrollment(existing.enrollment_id)
            return  # the enrollment exists and runs: the row is not lost
        except enrollment_store.EnrollmentNotFound:
            pass
    old = existing.outcome if existing is not None else None
    store.move_row(import_id, row, old, "failed", clock.now(), codes=["row.failed", f"error.{error}"[:80]])


def await_row(import_id: str, row: int, task_token: str) -> None:
    """The Map item waits for its row's first outcome (bounding the enrollments in flight)."""
    store.park_row(import_id, row, task_token)
    item = store.get_row(import_id, row)
    if item is not None and item.outcome in rows_domain.DONE_OUTCOMES:
        _release_row(import_id, row)


def _release_row(import_id: str, row: int) -> None:
    token = store.take_row_token(import_id, row)
    if token:
        try:
            client("stepfunctions").send_task_success(taskToken=token, output=json.dumps({"row": row}))
        except Exception:
            # A token taken but not answered would hold the Map item (and the import) forever:
            # it goes back, so the next follow of this row's enrollment answers it.
            store.park_row(import_id, row, token)
            raise


def await_rows(import_id: str, task_token: str) -> None:
    store.park(import_id, task_token)
    _complete_if_done(import_id)


def _complete_if_done(import_id: str) -> None:
    record = store.get_import(import_id)
    if not record.task_token or int(record.done) < int(record.total):
        return
    token = store.take_task_token(import_id)
    if token:
        client("stepfunctions").send_task_success(taskToken=token, output=json.dumps({"rows_done": int(record.done)}))


def follow_enrollment(enrollment_id: str) -> None:
    """An enrollment of a group purchase moved: its row and the import's counters follow; a
    confirmation grants the campaign's credits. Called by the enrollment workflow's steps and
    by the row's own step; never raises into the enrollment (a failure is logged and the finish
    step recounts)."""
    try:
        _follow(enrollment_id)
    except Exception:  # noqa: BLE001 - the enrollment must go on whatever happens here
        logger().exception("group purchase could not follow an enrollment", extra={"enrollment_id": enrollment_id, "code": "group_purchase.follow_failed"})


def _follow(enrollment_id: str) -> None:
    link = store.link_of(enrollment_id)
    if link is None:
        return
    record = enrollment_store.get(enrollment_id)
    new = rows_domain.outcome_of_status(record.status)
    codes = list(dict.fromkeys(reason["code"] for reason in plain(list(record.block_reasons)))) if new == "blocked" else []
    if new == "rejected":
        codes = ["enrollment.rejected"]
    became_done = False
    for _ in range(3):
        row = store.get_row(link.import_id, int(link.row))
        if row is None or row.enrollment_id != enrollment_id:
            return
        if row.outcome == new and list(row.codes or []) == codes:
            break
        if store.move_row(link.import_id, int(link.row), row.outcome, new, clock.now(), codes=codes):
            became_done = new in rows_domain.DONE_OUTCOMES and row.outcome not in rows_domain.DONE_OUTCOMES
            break
    if new == "confirmed" and record.customer_id:
        _grant_credits(link, record)
    if new in rows_domain.DONE_OUTCOMES:
        # Not only when it became done: a release that failed after the row moved is retried by
        # the enrollment's next step (the token is answered once; an answered row has none).
        _release_row(link.import_id, int(link.row))
    if became_done:
        _complete_if_done(link.import_id)  # only a row becoming done can complete the import


def _grant_credits(link: store.EnrollmentLink, record: enrollment_store.EnrollmentRecord) -> None:
    terms = store.get_import(link.import_id).terms
    campaign = terms.get("campaign_code", link.campaign_code)
    now = clock.now()
    welcome = Decimal(terms.get("welcome_credit") or "0")
    if welcome > 0:
        credits.grant_credit(record.customer_id, f"WELCOME#{campaign}", welcome, "welcome_credit", {"campaign": campaign}, now)
    referral_code = record.request.get("referral_code")
    if referral_code and terms.get("referrer_credit") and terms.get("referred_credit"):
        referrer = store.referrer_customer_id(referral_code)
        if referrer and referrer != record.customer_id:
            pair_key = enrollment_store.person_key(record.request["customer"]["email"]).removeprefix("PERSON#")[:32]
            credits.grant_referral(referrer, record.customer_id, pair_key, (Decimal(terms["referrer_credit"]), Decimal(terms["referred_credit"])), {"campaign": campaign}, now)


def recount(import_id: str) -> dict[str, int]:
    """Counters from the rows themselves (authoritative); rows never recorded count as failed."""
    record = store.get_import(import_id)
    counts = {name: 0 for name in rows_domain.OUTCOMES}
    for row in store.rows(import_id):
        counts[row.outcome] = counts.get(row.outcome, 0) + 1
    counts["done"] = sum(value for name, value in counts.items() if name in rows_domain.DONE_OUTCOMES)
    store.set_counts(import_id, counts)
    return {"total": int(record.total), **counts}


def finish(import_id: str, run_name: str, timed_out: bool = False) -> dict[str, Any]:
    counts = recount(import_id)
    store.update_import(import_id, status="COMPLETED", finished_at=clock.now().isoformat())
    record = store.get_import(import_id)
    terms = record.terms
    if terms.get("organiser_email"):
        language = terms.get("organiser_language") or "nl"
        subject, text = render(
            "group_purchase_summary", language, campaign=record.campaign_code, file_name=record.file_name, timed_out=timed_out, **{k: counts.get(k, 0) for k in ("total", "done", *rows_domain.OUTCOMES)}
        )
        report = report_csv(import_id)
        sent_mail.send_once(
            f"GROUPPURCHASE#{import_id}",
            f"summary#{run_name}",
            Mail(to=terms["organiser_email"], subject=subject, text=text, language=language, attachments=(Attachment(f"{import_id}-report.csv", report, "text/csv"),)),
        )
    return {"import_id": import_id, **counts}


def refuse(import_id: str) -> dict[str, Any]:
    """The file was refused: the organiser hears why (nothing was started)."""
    record = store.get_import(import_id)
    terms = record.terms
    if terms.get("organiser_email"):
        language = terms.get("organiser_language") or "nl"
        problems = "\n".join(f"- {p['message']}" for p in record.problems)
        subject, text = render("group_purchase_refused", language, campaign=record.campaign_code, file_name=record.file_name, problems=problems)
        sent_mail.send_once(f"GROUPPURCHASE#{import_id}", "refused", Mail(to=terms["organiser_email"], subject=subject, text=text, language=language))
    return {"import_id": import_id, "status": "REFUSED"}


def record_import_failure(import_id: str, error: str) -> None:
    store.update_import(import_id, status="FAILED", failure=error[:200], finished_at=clock.now().isoformat())


# ------------------------------------------------------------------ views and the report
def view(record: store.GroupPurchaseImport) -> dict[str, Any]:
    counts = record.counts()
    total = counts["total"]
    return {
        "import_id": record.import_id,
        "campaign_code": record.campaign_code,
        "product_code": record.terms.get("product_code"),
        "file_name": record.file_name,
        "source": record.source,
        "status": record.status,
        "rows": counts,
        "progress_percent": int(100 * counts["done"] / total) if total else (100 if record.status in ("COMPLETED", "REFUSED") else 0),
        "problems": record.problems,
        "ignored_columns": list(record.ignored_columns or []),
        "runs": int(record.runs),
        "failure": record.failure,
        "uploaded_by": record.uploaded_by,
        "created_at": record.created_at,
        "finished_at": record.finished_at,
        "status_url": f"/ops/group-purchases/{record.import_id}",
        "report_url": f"/ops/group-purchases/{record.import_id}/report",
    }


def report_csv(import_id: str) -> bytes:
    """The per-row report: `;`-separated UTF-8 with BOM (Belgian Excel opens it as is); every
    cell that a spreadsheet could run as a formula is prefixed with a quote."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(rows_domain.REPORT_FIELDS)
    for row in sorted(store.rows(import_id), key=lambda r: int(r.row)):
        cells = [int(row.row), row.row_reference or "", row.outcome, row.enrollment_id or "", " ".join(row.codes or []), " ".join(row.columns or [])]
        writer.writerow([rows_domain.csv_safe(cell) for cell in cells])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
