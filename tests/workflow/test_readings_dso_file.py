"""The DSO's bulk readings as a CSV file dropped in S3 (dso-readings/incoming/): parsed with the
same validation as the DSO's messages, each reading stored once (a file dropped again, or the
same reading sent as a message, stores nothing new), and a report per file for ops."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest

from settlement_support import CREATED, dso_reading, login, make_contract, new_ean
from support import load_event

pytestmark = pytest.mark.workflow


def _bucket(runtime) -> str:
    return runtime.template.physical["DsoReadingsBucket"]["Ref"]


def _drop(runtime, name: str, content: str) -> dict:
    s3 = runtime.client("s3")
    s3.put_object(Bucket=_bucket(runtime), Key=f"dso-readings/incoming/{name}", Body=content.encode("utf-8-sig"))
    runtime.wait_until_settled()
    return json.loads(s3.get_object(Bucket=_bucket(runtime), Key=f"dso-readings/reports/{name}.json")["Body"].read())


def test_a_dso_bulk_file_dropped_in_s3_stores_each_reading_once_and_reports_refused_lines(runtime):
    runtime.reset(CREATED)
    runtime.only_schedules()
    single = make_contract(advance="80.00", language="nl")
    dual = make_contract(advance="95.00", language="fr", meter_type="dual")
    unknown = new_ean()  # not supplied by us
    runtime.advance(to=datetime(2027, 3, 20, 9, 0, tzinfo=UTC))
    content = "\n".join([
        "ean;register;reading_date;value_kwh;kind",
        f"{single['ean']};single;2027-02-01;10000;opening",                 # line 2
        f"{dual['ean']};day;2027-02-01;5000;opening",                       # 3
        f"{dual['ean']};night;2027-02-01;7000;opening",                     # 4
        f"{dual['ean']};day;2027-03-01;5180;periodic",                      # 5
        f"{dual['ean']};night;2027-03-01;7150;periodic",                    # 6
        f"{single['ean']};single;2027-03-10;10400;meter_removed",           # 7: meter change, old meter's closing
        f"{single['ean']};single;2027-03-10;0;meter_installed",             # 8: and the new meter's opening
        f"{dual['ean']};day;2027-03-15;5300;periodic",                      # 9: the night register is missing
        f"{unknown};single;2027-03-01;100;periodic",                        # 10: an EAN we do not supply
        f"{single['ean']};single;2027-03-12;ten;periodic",                  # 11: not a number
        f"{single['ean']};single;2027-03-13;10500;guess",                   # 12: unknown kind
        f"{single['ean']};single;13/03/2027;10500;periodic",                # 13: date not ISO
    ]) + "\n"
    report = _drop(runtime, "2027-03-20-fluvius.csv", content)
    # Five readings stored: the meter change is two (old meter removed, new meter installed).
    assert (report["stored"], report["repeated"]) == (5, 0)
    refused = {r["line"]: r["code"] for r in report["refused"]}
    assert refused == {9: "reading.registers", 10: "ContractNotFound", 11: "reading.value", 12: "reading.kind", 13: "reading.date"}

    history = runtime.handle_api("GET", f"/me/delivery-points/{dual['ean']}/readings", login(runtime, dual)).json()["readings"]
    assert [(h["source"], h["kind"], h["reading_date"], {r["register"]: r["value_kwh"] for r in h["registers"]}) for h in history] == [
        ("dso", "periodic", "2027-03-01", {"day": "5180", "night": "7150"}),
        ("dso", "opening", "2027-02-01", {"day": "5000", "night": "7000"}),
    ]
    history = runtime.handle_api("GET", f"/me/delivery-points/{single['ean']}/readings", login(runtime, single)).json()["readings"]
    assert sorted((h["kind"], h["reading_date"]) for h in history) == [("meter_installed", "2027-03-10"), ("meter_removed", "2027-03-10"), ("opening", "2027-02-01")]

    # The same file dropped again (under another name, with "," as separator) stores nothing new,
    # and neither does the same reading sent as a message.
    again = _drop(runtime, "2027-03-20-fluvius-resent.csv", content.replace(";", ","))
    assert (again["stored"], again["repeated"]) == (0, 5) and len(again["refused"]) == 5
    assert dso_reading(runtime, dual["ean"], date(2027, 3, 1), {"day": 5180, "night": 7150})["repeated"] == 1
    assert len(runtime.handle_api("GET", f"/me/delivery-points/{dual['ean']}/readings", login(runtime, dual)).json()["readings"]) == 2

    # The S3 notification delivered again (AWS may deliver an event twice): nothing new either.
    event = load_event("readings_dso/s3_file")
    event["Records"][0]["s3"]["bucket"]["name"] = _bucket(runtime)
    payload, errored, _ = runtime.invoke("ReadingsDsoFunction", event)
    assert not errored, payload
    (redelivered,) = json.loads(payload)["files"]
    assert (redelivered["file"], redelivered["stored"], redelivered["repeated"]) == ("dso-readings/incoming/2027-03-20-fluvius.csv", 0, 5)

    # A file without the documented columns is refused as a whole, in its report.
    broken = _drop(runtime, "wrong.csv", "EAN;Datum;Stand\n541449011000000001;2027-03-01;100\n")
    assert (broken["stored"], [r["code"] for r in broken["refused"]]) == (0, ["dso_file.columns"])
