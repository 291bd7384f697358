"""S3 event notifications of the template, delivered locally.

A function event `Type: S3` (SAM) names a bucket of the template, the events (e.g.
`s3:ObjectCreated:*`) and an optional key filter. On AWS, SAM turns it into the bucket's
NotificationConfiguration plus a Lambda permission. Locally the same configuration is put on
the moto bucket (`put_bucket_notification_configuration`); moto then invokes the function for
every matching PutObject / CopyObject / multipart upload, with the event shape S3 sends (keys
URL-encoded). The invocation goes through the runtime's in-process Lambda hook like any other.

Differences from AWS, on purpose: delivery is synchronous, inside the PutObject call (AWS
delivers asynchronously, usually within a second), and a failing function is not retried
(AWS retries an asynchronous invocation twice); the runtime logs the failure.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger("wattdesk_local")


@dataclass
class Subscription:
    function: str  # logical id
    event_name: str
    bucket: str  # physical name
    events: list[str]
    filter_rules: list[dict[str, str]] = field(default_factory=list)


def subscribe(runtime: Any, logical: str, event_name: str, props: dict[str, Any]) -> None:
    """Records a function's S3 event (applied by apply() once the buckets are final)."""
    props = runtime.template.resolve(props)
    events = props.get("Events")
    events = [events] if isinstance(events, str) else list(events or [])
    rules = [{"Name": rule["Name"].lower(), "Value": rule["Value"]} for rule in ((props.get("Filter") or {}).get("S3Key") or {}).get("Rules", [])]
    subscriptions = runtime.__dict__.setdefault("s3_subscriptions", [])
    subscriptions.append(Subscription(logical, event_name, props["Bucket"], events, rules))


def apply(runtime: Any) -> None:
    """Puts every recorded subscription on its bucket (after a saved state was loaded, since a
    loaded bucket replaces the one created from the template)."""
    by_bucket: dict[str, list[Subscription]] = {}
    for subscription in runtime.__dict__.get("s3_subscriptions", []):
        by_bucket.setdefault(subscription.bucket, []).append(subscription)
    s3 = runtime.client("s3")
    for bucket, subscriptions in by_bucket.items():
        configurations = []
        for subscription in subscriptions:
            configuration: dict[str, Any] = {
                "Id": f"{subscription.function}-{subscription.event_name}",
                "LambdaFunctionArn": runtime.functions[subscription.function].arn,
                "Events": subscription.events,
            }
            if subscription.filter_rules:
                configuration["Filter"] = {"Key": {"FilterRules": subscription.filter_rules}}
            configurations.append(configuration)
        s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={"LambdaFunctionConfigurations": configurations})
        log.info("S3 notifications of %s delivered to %s", bucket, ", ".join(s.function for s in subscriptions))
