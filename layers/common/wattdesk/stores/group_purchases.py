"""Group purchases: campaigns, imports with their counters, one item per row, row keys.

Keys (docs/data-model.md, docs/group-purchases.md):
  CAMPAIGN#<code>        / CAMPAIGN        the campaign's terms (product, organiser, credits)
  GROUPPURCHASE#<id>     / IMPORT          an import: file, terms snapshot, status, counters
  GROUPPURCHASE#<id>     / ROW#<line>      a row's outcome, enrollment id and error codes
  GPKEY#<sha256>         / KEY             a row key (campaign + EAN + e-mail) -> its enrollment
  ENROLLMENT#<id>        / GROUPPURCHASE   the enrollment came from this import and row
Imports are listed through GSI1 (GSI1PK "GROUPPURCHASES", newest first).

A row's outcome and the import's counters change in one transaction, conditioned on the outcome
the writer saw: replays and races never count a row twice.
"""

from __future__ import annotations

import json
import random
import time
from datetime import datetime
from typing import Any

from pynamodb.attributes import ListAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist, PutError, TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from wattdesk.domain.group_purchase import DONE_OUTCOMES, OUTCOMES
from wattdesk.stores.base import WattDeskItem, transaction_connection

LIST_KEY = "GROUPPURCHASES"


class Campaign(WattDeskItem):
    name = UnicodeAttribute(null=True)
    product_code = UnicodeAttribute()
    gas_product_code = UnicodeAttribute(null=True)
    organiser_email = UnicodeAttribute(null=True)
    organiser_language = UnicodeAttribute(default="nl")
    welcome_credit = UnicodeAttribute(default="0.00")
    referrer_credit = UnicodeAttribute(null=True)
    referred_credit = UnicodeAttribute(null=True)
    start_date = UnicodeAttribute(null=True)
    updated_by = UnicodeAttribute()
    updated_at = UnicodeAttribute()

    @property
    def code(self) -> str:
        return self.PK.removeprefix("CAMPAIGN#")


class GroupPurchaseImport(WattDeskItem):
    campaign_code = UnicodeAttribute()
    terms_json = UnicodeAttribute()
    source = UnicodeAttribute()  # "api" or "s3"
    file_name = UnicodeAttribute()
    file_bucket = UnicodeAttribute()
    file_key = UnicodeAttribute()
    file_sha256 = UnicodeAttribute()
    uploaded_by = UnicodeAttribute()
    status = UnicodeAttribute()
    problems_json = UnicodeAttribute(default="[]")
    ignored_columns = ListAttribute(default=list)
    rows_key = UnicodeAttribute(null=True)
    task_token = UnicodeAttribute(null=True)
    runs = NumberAttribute(default=0)
    failure = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    finished_at = UnicodeAttribute(null=True)
    total = NumberAttribute(default=0)
    done = NumberAttribute(default=0)
    processing = NumberAttribute(default=0)
    waiting = NumberAttribute(default=0)
    confirmed = NumberAttribute(default=0)
    blocked = NumberAttribute(default=0)
    rejected = NumberAttribute(default=0)
    duplicate = NumberAttribute(default=0)
    failed = NumberAttribute(default=0)
    cancelled = NumberAttribute(default=0)

    @property
    def import_id(self) -> str:
        return self.PK.removeprefix("GROUPPURCHASE#")

    @property
    def terms(self) -> dict[str, Any]:
        return json.loads(self.terms_json)

    @property
    def problems(self) -> list[dict[str, Any]]:
        return json.loads(self.problems_json)

    def counts(self) -> dict[str, int]:
        return {"total": int(self.total), "done": int(self.done), **{name: int(getattr(self, name)) for name in OUTCOMES}}


class ImportRow(WattDeskItem):
    row = NumberAttribute()
    row_reference = UnicodeAttribute(null=True)
    outcome = UnicodeAttribute()
    enrollment_id = UnicodeAttribute(null=True)
    codes = ListAttribute(default=list)
    columns = ListAttribute(default=list)
    updated_at = UnicodeAttribute()
    task_token = UnicodeAttribute(null=True)  # the Map item waiting for this row's first outcome


class RowKey(WattDeskItem):
    enrollment_id = UnicodeAttribute()
    state = UnicodeAttribute()  # CLAIMED until the enrollment's workflow started, then STARTED
    # The status link's token, kept only until the workflow started (so that a retried row
    # starts the same workflow with the same link), then removed.
    status_token = UnicodeAttribute(null=True)
    import_id = UnicodeAttribute()
    row = NumberAttribute()
    claimed_at = UnicodeAttribute()


class EnrollmentLink(WattDeskItem):
    import_id = UnicodeAttribute()
    row = NumberAttribute()
    campaign_code = UnicodeAttribute()


class ImportNotFound(LookupError):
    pass


def _conditional_failed(exc: Exception) -> bool:
    return getattr(exc, "cause_response_code", None) == "ConditionalCheckFailedException"


# ------------------------------------------------------------------ campaigns
def put_campaign(code: str, settings: dict[str, Any], actor: str, at: datetime) -> Campaign:
    campaign = Campaign(f"CAMPAIGN#{code}", "CAMPAIGN", updated_by=actor, updated_at=at.isoformat(), **settings)
    campaign.save()
    return campaign


def get_campaign(code: str) -> Campaign | None:
    try:
        return Campaign.get(f"CAMPAIGN#{code}", "CAMPAIGN", consistent_read=True)
    except DoesNotExist:
        return None


# ------------------------------------------------------------------ imports
def create_import(import_id: str, at: datetime, **values: Any) -> tuple[GroupPurchaseImport, bool]:
    """The import record; (existing, False) when these bytes came for this campaign before."""
    record = GroupPurchaseImport(f"GROUPPURCHASE#{import_id}", "IMPORT", created_at=at.isoformat(), GSI1PK=LIST_KEY, GSI1SK=f"{at.isoformat()}#{import_id}", **values)
    try:
        record.save(condition=GroupPurchaseImport.PK.does_not_exist())
    except PutError as exc:
        if _conditional_failed(exc):
            return get_import(import_id), False
        raise
    return record, True


def get_import(import_id: str) -> GroupPurchaseImport:
    try:
        return GroupPurchaseImport.get(f"GROUPPURCHASE#{import_id}", "IMPORT", consistent_read=True)
    except DoesNotExist as exc:
        raise ImportNotFound(import_id) from exc


def list_imports(limit: int = 50) -> list[GroupPurchaseImport]:
    return list(GroupPurchaseImport.work_list.query(LIST_KEY, scan_index_forward=False, limit=limit))


def update_import(import_id: str, **changes: Any) -> None:
    record = GroupPurchaseImport(f"GROUPPURCHASE#{import_id}", "IMPORT")
    actions = []
    for name, value in changes.items():
        attribute = getattr(GroupPurchaseImport, name)
        actions.append(attribute.remove() if value is None else attribute.set(value))
    record.update(actions=actions, condition=GroupPurchaseImport.PK.exists())


def start_run(import_id: str, status: str) -> int:
    """A new pass over the rows (first run or a re-run of failed rows); returns its number."""
    record = GroupPurchaseImport(f"GROUPPURCHASE#{import_id}", "IMPORT")
    record.update(actions=[GroupPurchaseImport.runs.add(1), GroupPurchaseImport.status.set(status), GroupPurchaseImport.finished_at.remove()], condition=GroupPurchaseImport.PK.exists())
    return int(record.runs)


def park(import_id: str, task_token: str) -> None:
    GroupPurchaseImport(f"GROUPPURCHASE#{import_id}", "IMPORT").update(actions=[GroupPurchaseImport.task_token.set(task_token), GroupPurchaseImport.status.set("AWAITING_ROWS")])


def take_task_token(import_id: str) -> str | None:
    """The parked token, claimed once (None when nobody waits or someone else took it)."""
    record = get_import(import_id)
    token = record.task_token
    if not token:
        return None
    try:
        record.update(actions=[GroupPurchaseImport.task_token.remove()], condition=GroupPurchaseImport.task_token == token)
    except UpdateError as exc:
        if _conditional_failed(exc):
            return None
        raise
    return token


# ------------------------------------------------------------------ rows
def get_row(import_id: str, row: int) -> ImportRow | None:
    try:
        return ImportRow.get(f"GROUPPURCHASE#{import_id}", f"ROW#{row:07d}", consistent_read=True)
    except DoesNotExist:
        return None


def park_row(import_id: str, row: int, task_token: str) -> None:
    ImportRow(f"GROUPPURCHASE#{import_id}", f"ROW#{row:07d}").update(actions=[ImportRow.task_token.set(task_token)], condition=ImportRow.PK.exists())


def take_row_token(import_id: str, row: int) -> str | None:
    """The row's waiting token, claimed once (None when nobody waits or it was taken)."""
    item = get_row(import_id, row)
    if item is None or not item.task_token:
        return None
    token = item.task_token
    try:
        item.update(actions=[ImportRow.task_token.remove()], condition=ImportRow.task_token == token)
    except UpdateError as exc:
        if _conditional_failed(exc):
            return None
        raise
    return token


def rows(import_id: str) -> list[ImportRow]:
    return list(ImportRow.query(f"GROUPPURCHASE#{import_id}", ImportRow.SK.startswith("ROW#"), consistent_read=True))


def move_row(import_id: str, row: int, old: str | None, new: str, at: datetime, **values: Any) -> bool:
    """The row goes from `old` (None: not written yet) to `new` and the counters follow, in one
    transaction; False when the row is not at `old` any more (someone else moved it)."""
    if old == new and not values:
        return True
    counters = GroupPurchaseImport(f"GROUPPURCHASE#{import_id}", "IMPORT")
    actions = []
    if old != new:
        actions.append(getattr(GroupPurchaseImport, new).add(1))
        if old is not None:
            actions.append(getattr(GroupPurchaseImport, old).add(-1))
        done_change = (new in DONE_OUTCOMES) - (old in DONE_OUTCOMES if old is not None else 0)
        if done_change:
            actions.append(GroupPurchaseImport.done.add(done_change))
    for attempt in range(6):
        try:
            with TransactWrite(connection=transaction_connection()) as transaction:
                if old is None:
                    transaction.save(
                        ImportRow(f"GROUPPURCHASE#{import_id}", f"ROW#{row:07d}", row=row, outcome=new, updated_at=at.isoformat(), **values),
                        condition=ImportRow.PK.does_not_exist(),
                    )
                else:
                    row_actions = [ImportRow.outcome.set(new), ImportRow.updated_at.set(at.isoformat())]
                    for name, value in values.items():
                        attribute = getattr(ImportRow, name)
                        row_actions.append(attribute.remove() if value is None else attribute.set(value))
                    transaction.update(ImportRow(f"GROUPPURCHASE#{import_id}", f"ROW#{row:07d}"), actions=row_actions, condition=ImportRow.outcome == old)
                if actions:
                    transaction.update(counters, actions=actions, condition=GroupPurchaseImport.PK.exists())
            return True
        except TransactWriteError as exc:
            codes = [reason.code if reason is not None else None for reason in exc.cancellation_reasons or []]
            if "ConditionalCheckFailed" in codes:
                return False
            if "TransactionConflict" in codes and attempt < 5:
                time.sleep(random.uniform(0.01, 0.05) * (attempt + 1))  # the counters item is shared by every row
                continue
            raise
    return False


def set_counts(import_id: str, counts: dict[str, int]) -> None:
    """Counters recomputed from the rows (the finish step's reconciliation)."""
    update_import(import_id, **{name: value for name, value in counts.items()})


# ------------------------------------------------------------------ row keys and links
def claim_key(key: str, enrollment_id: str, status_token: str, import_id: str, row: int, at: datetime) -> RowKey:
    """The key's holder: ours when we claimed it now, else the earlier claim (read back)."""
    item = RowKey(f"GPKEY#{key}", "KEY", enrollment_id=enrollment_id, state="CLAIMED", status_token=status_token, import_id=import_id, row=row, claimed_at=at.isoformat())
    try:
        item.save(condition=RowKey.PK.does_not_exist())
        return item
    except PutError as exc:
        if not _conditional_failed(exc):
            raise
    return RowKey.get(f"GPKEY#{key}", "KEY", consistent_read=True)


def key_started(key: str) -> None:
    RowKey(f"GPKEY#{key}", "KEY").update(actions=[RowKey.state.set("STARTED"), RowKey.status_token.remove()])


def link_enrollment(enrollment_id: str, import_id: str, row: int, campaign_code: str) -> None:
    EnrollmentLink(f"ENROLLMENT#{enrollment_id}", "GROUPPURCHASE", import_id=import_id, row=row, campaign_code=campaign_code).save()


def link_of(enrollment_id: str) -> EnrollmentLink | None:
    try:
        return EnrollmentLink.get(f"ENROLLMENT#{enrollment_id}", "GROUPPURCHASE", consistent_read=True)
    except DoesNotExist:
        return None


def referrer_customer_id(code: str) -> str | None:
    """The customer whose referral code this is (GSI2 REFERRAL#<code>), or None."""
    for key in WattDeskItem.lookup.query(f"REFERRAL#{code.strip().upper()}"):
        if key.PK.startswith("CUSTOMER#"):
            return key.PK.removeprefix("CUSTOMER#")
    return None
