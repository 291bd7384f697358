"""The local runtime: builds every resource of template.yaml inside one moto mock, runs the real
state machine definitions on moto's Step Functions engine, calls handlers in-process, serves
the API routes, and owns the simulated clock that fires the template's schedules."""

from __future__ import annotations

import io
import json
import logging
import threading
import time
import uuid
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import boto3
from moto import mock_aws

from wattdesk_local import apigw, auth, faults, outbox, patches, persistence, s3_events
from wattdesk_local.lambdas import Invocation, LocalFunction, last_call
from wattdesk_local.schedules import Schedule, scheduler_input
from wattdesk_local.template import ACCOUNT_ID, REGION, Template, TemplateError

log = logging.getLogger("wattdesk_local")
PROJECT_ROOT = Path(__file__).resolve().parents[2]
# Waiting polls the engine: quickly at first (most waits are short), then backing off, because
# every look copies the running executions' histories and competes with the handlers for the GIL.
POLL_FIRST_S, POLL_MAX_S = 0.005, 0.1


class ClockError(ValueError):
    pass


class SimulatedClock:
    """Frozen (tests) or ticking from an anchor (make run); only ever moves forward."""

    def __init__(self, start: datetime, ticking: bool):
        self.ticking = ticking
        self._lock = threading.Lock()
        self._anchor = start.astimezone(UTC)
        self._anchor_real = time.monotonic()

    def now(self) -> datetime:
        with self._lock:
            elapsed = timedelta(seconds=time.monotonic() - self._anchor_real) if self.ticking else timedelta(0)
            return self._anchor + elapsed

    def set(self, instant: datetime) -> None:
        with self._lock:
            self._anchor = instant.astimezone(UTC)
            self._anchor_real = time.monotonic()


@dataclass
class ApiResponse:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body or b"null")


@dataclass
class FiredSchedule:
    schedule: str
    at: str
    target: str
    execution_arn: str | None = None
    error: str | None = None


@dataclass
class Fault:
    function: str
    error_type: str
    remaining: int
    when: dict[str, Any]
    raised: int = 0


@dataclass
class RuntimeOptions:
    project_root: Path = PROJECT_ROOT
    state_dir: Path | None = None
    start_time: datetime | None = None
    ticking_clock: bool = False
    verbose: bool = False
    parameter_overrides: dict[str, str] = field(default_factory=dict)
    settle_timeout_s: float = 120.0


class LocalRuntime:
    def __init__(self, options: RuntimeOptions | None = None):
        self.options = options or RuntimeOptions()
        self.root = self.options.project_root
        self.template = Template(self.root / "template.yaml", dict(self.options.parameter_overrides))
        self.clock = SimulatedClock(self.options.start_time or datetime.now(UTC), self.options.ticking_clock)
        self.functions: dict[str, LocalFunction] = {}
        self.state_machines: dict[str, str] = {}  # logical id -> ARN
        self.schedules: list[Schedule] = []
        self.routes: list[apigw.Route] = []
        self.authorizers: dict[str, str] = {}  # authorizer name -> user pool logical id
        self.last_fired: dict[str, datetime] = {}
        self.schedules_anchor: datetime = self.clock.now()
        self.invocations: list[Invocation] = []
        self.unsupported: list[str] = []
        self.local_endpoints: dict[str, tuple[str, dict[str, Any], str]] = {}  # path -> (function, fixed, body key)
        self.named_faults: list[Fault] = []  # inject_fault(): a function fails with a named error
        self.faults = faults.FaultSwitch()  # AWS API / Lambda faults by rate and seed (issue 12)
        self._in_flight = 0
        self._in_flight_lock = threading.Lock()
        self._advance_lock = threading.RLock()
        self._mock: Any = None
        self._started = False
        self._clients: dict[str, Any] = {}
        self._clients_lock = threading.Lock()
        self._pool_clients: dict[str, str] = {}

    # ================================================================== lifecycle
    def start(self) -> LocalRuntime:
        self._mock = mock_aws(config={"stepfunctions": {"execute_state_machine": True}})
        self._mock.start()
        patches.install(self._invoke_from_moto)
        faults.install(self.faults)
        from wattdesk import clock as wattdesk_clock
        from wattdesk.adapters import aws as wattdesk_aws

        wattdesk_aws.reset_clients()
        wattdesk_clock.set_source(self.clock.now)
        try:
            self._create_resources()
            if self.options.state_dir is not None:
                self._load_state()
            s3_events.apply(self)
        except Exception:
            self.stop(save=False)
            raise
        for schedule in self.schedules:
            self.last_fired.setdefault(schedule.name, self.schedules_anchor)
        self._started = True
        return self

    def stop(self, save: bool = True) -> None:
        if self._mock is None:
            return
        try:
            if save and self._started and self.options.state_dir is not None:
                self.save_state()
            self._stop_running_executions()
        finally:
            from wattdesk import clock as wattdesk_clock

            wattdesk_clock.set_source(None)
            patches.uninstall()
            faults.uninstall()
            self._mock.stop()
            self._mock = None
            self._clients.clear()
            self._started = False

    def reset(self, start_time: datetime | None = None) -> None:
        """Empties every table, bucket, queue and the outbox and sets the clock, keeping the
        resources: what a test fixture needs between tests (parsing definitions is the slow part)."""
        with self._advance_lock:
            self._stop_running_executions()
            deadline = time.monotonic() + 10
            while self._in_flight and time.monotonic() < deadline:
                time.sleep(0.005)  # a handler of a stopped execution may still be finishing
            patches.clear_executions(ACCOUNT_ID, REGION)
            self._schedule_prefixes = None
            t = self.template
            dynamodb, s3, sqs = self.client("dynamodb"), self.client("s3"), self.client("sqs")
            for logical in t.resources("AWS::DynamoDB::Table"):
                dynamodb.delete_table(TableName=t.physical[logical]["Ref"])
                self._create_table(logical, t.properties(logical))
            for logical in t.resources("AWS::S3::Bucket"):
                bucket = t.physical[logical]["Ref"]
                for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
                    doomed = [{"Key": v["Key"], "VersionId": v["VersionId"]} for v in page.get("Versions", []) + page.get("DeleteMarkers", [])]
                    if doomed:
                        s3.delete_objects(Bucket=bucket, Delete={"Objects": doomed, "Quiet": True})
            for logical in t.resources("AWS::SQS::Queue"):
                # PurgeQueue is allowed once a minute (moto enforces it too): drain instead.
                url = t.physical[logical]["Ref"]
                while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=30).get("Messages", []):
                    sqs.delete_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)])
            outbox.clear(ACCOUNT_ID, REGION)
            self.clock.set(start_time or datetime.now(UTC))
            self.schedules_anchor = self.clock.now()
            self.last_fired = {schedule.name: self.schedules_anchor for schedule in self.schedules}
            self.invocations.clear()
            self.named_faults.clear()
            self.faults.clear()
            patches.retry_sleeps.intervals.clear()

    def __enter__(self) -> LocalRuntime:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def client(self, service: str) -> Any:
        # Creating a boto3 client costs ~40 ms; clients are thread-safe, so one per service.
        with self._clients_lock:
            if service not in self._clients:
                self._clients[service] = boto3.client(service, region_name=REGION)
            return self._clients[service]

    # ================================================================== resources
    def _create_resources(self) -> None:
        t = self.template
        iam = self.client("iam")
        self.role_arn = iam.create_role(RoleName="wattdesk-local", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
        creators = [
            ("AWS::DynamoDB::Table", self._create_table),
            ("AWS::S3::Bucket", self._create_bucket),
            ("AWS::SQS::Queue", self._create_queue),
            ("AWS::SNS::Topic", self._create_topic),
            ("AWS::SES::EmailIdentity", self._create_email_identity),
            ("AWS::Cognito::UserPool", self._create_user_pool),
            ("AWS::Cognito::UserPoolClient", self._create_user_pool_client),
            ("AWS::Cognito::UserPoolGroup", self._create_user_pool_group),
            ("AWS::Serverless::Function", self._create_function),
            ("AWS::Serverless::StateMachine", self._create_state_machine),
            ("AWS::Serverless::Api", self._read_api),
            ("AWS::Scheduler::Schedule", self._read_schedule_resource),
        ]
        for kind, create in creators:
            for logical in t.resources(kind):
                create(logical, t.properties(logical))
        for logical, function in t.resources("AWS::Serverless::Function").items():
            self._read_events(logical, "function", t.properties(logical).get("Events", {}))
        for logical in t.resources("AWS::Serverless::StateMachine"):
            self._read_events(logical, "state_machine", t.properties(logical).get("Events", {}))

    def _create_table(self, logical: str, props: dict[str, Any]) -> None:
        props = self.template.resolve(props)
        name = self.template.physical[logical]["Ref"]
        args: dict[str, Any] = {
            "TableName": name,
            "KeySchema": props["KeySchema"],
            "AttributeDefinitions": props["AttributeDefinitions"],
            "BillingMode": props.get("BillingMode", "PAY_PER_REQUEST"),
        }
        if props.get("GlobalSecondaryIndexes"):
            args["GlobalSecondaryIndexes"] = [{k: v for k, v in index.items() if k != "ProvisionedThroughput"} for index in props["GlobalSecondaryIndexes"]]
        if props.get("LocalSecondaryIndexes"):
            args["LocalSecondaryIndexes"] = props["LocalSecondaryIndexes"]
        if args["BillingMode"] == "PROVISIONED":
            args["ProvisionedThroughput"] = props["ProvisionedThroughput"]
        dynamodb = self.client("dynamodb")
        dynamodb.create_table(**args)
        ttl = props.get("TimeToLiveSpecification")
        if ttl and ttl.get("Enabled"):
            dynamodb.update_time_to_live(TableName=name, TimeToLiveSpecification=ttl)
        if props.get("PointInTimeRecoverySpecification", {}).get("PointInTimeRecoveryEnabled"):
            dynamodb.update_continuous_backups(TableName=name, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})

    def _create_bucket(self, logical: str, props: dict[str, Any]) -> None:
        props = self.template.resolve(props)
        name = self.template.physical[logical]["Ref"]
        s3 = self.client("s3")
        s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
        if props.get("VersioningConfiguration"):
            s3.put_bucket_versioning(Bucket=name, VersioningConfiguration=props["VersioningConfiguration"])
        if props.get("PublicAccessBlockConfiguration"):
            s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration=props["PublicAccessBlockConfiguration"])
        if props.get("BucketEncryption"):
            # CloudFormation says ServerSideEncryptionByDefault where the API says ApplyServerSideEncryptionByDefault.
            rules = [
                {"ApplyServerSideEncryptionByDefault": rule["ServerSideEncryptionByDefault"], "BucketKeyEnabled": rule.get("BucketKeyEnabled", False)}
                for rule in props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
            ]
            s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={"Rules": rules})
        if props.get("LifecycleConfiguration"):
            rules = []
            for rule in props["LifecycleConfiguration"]["Rules"]:
                converted: dict[str, Any] = {"ID": rule.get("Id", "rule"), "Status": rule["Status"], "Filter": {"Prefix": rule.get("Prefix", "")}}
                if "ExpirationInDays" in rule:
                    converted["Expiration"] = {"Days": rule["ExpirationInDays"]}
                if "NoncurrentVersionExpiration" in rule:
                    converted["NoncurrentVersionExpiration"] = {"NoncurrentDays": rule["NoncurrentVersionExpiration"]["NoncurrentDays"]}
                rules.append(converted)
            s3.put_bucket_lifecycle_configuration(Bucket=name, LifecycleConfiguration={"Rules": rules})

    def _create_queue(self, logical: str, props: dict[str, Any]) -> None:
        props = self.template.resolve(props)
        name = self.template.physical[logical]["QueueName"]
        attributes = {}
        for key in ("MessageRetentionPeriod", "VisibilityTimeout", "DelaySeconds", "SqsManagedSseEnabled", "FifoQueue"):
            if key in props:
                attributes[key] = str(props[key]).lower() if isinstance(props[key], bool) else str(props[key])
        if "RedrivePolicy" in props:
            attributes["RedrivePolicy"] = json.dumps(props["RedrivePolicy"])
        url = self.client("sqs").create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
        self.template.set_identity(logical, Ref=url)

    def _create_topic(self, logical: str, props: dict[str, Any]) -> None:
        self.client("sns").create_topic(Name=self.template.physical[logical]["TopicName"])

    def _create_email_identity(self, logical: str, props: dict[str, Any]) -> None:
        identity = self.template.resolve(props["EmailIdentity"])
        ses = self.client("ses")
        if "@" in identity:
            ses.verify_email_identity(EmailAddress=identity)
        else:
            ses.verify_domain_identity(Domain=identity)

    def _create_user_pool(self, logical: str, props: dict[str, Any]) -> None:
        props = self.template.resolve(props)
        args: dict[str, Any] = {"PoolName": props.get("UserPoolName", logical)}
        for key in ("UsernameAttributes", "AutoVerifiedAttributes", "Policies", "Schema", "MfaConfiguration"):
            if key in props:
                args[key] = props[key]
        pool = self.client("cognito-idp").create_user_pool(**args)["UserPool"]
        self.template.set_identity(
            logical, Ref=pool["Id"], Arn=pool["Arn"], ProviderName=f"cognito-idp.{REGION}.amazonaws.com/{pool['Id']}",
            ProviderURL=f"https://cognito-idp.{REGION}.amazonaws.com/{pool['Id']}",
        )

    def _create_user_pool_client(self, logical: str, props: dict[str, Any]) -> None:
        props = self.template.resolve(props)
        args: dict[str, Any] = {"UserPoolId": props["UserPoolId"], "ClientName": props.get("ClientName", logical)}
        for key in ("ExplicitAuthFlows", "GenerateSecret", "PreventUserExistenceErrors"):
            if key in props:
                args[key] = props[key]
        created = self.client("cognito-idp").create_user_pool_client(**args)["UserPoolClient"]
        self.template.set_identity(logical, Ref=created["ClientId"])
        self._pool_clients[props["UserPoolId"]] = created["ClientId"]

    def _create_user_pool_group(self, logical: str, props: dict[str, Any]) -> None:
        props = self.template.resolve(props)
        self.client("cognito-idp").create_group(UserPoolId=props["UserPoolId"], GroupName=props["GroupName"])

    def _create_function(self, logical: str, props: dict[str, Any]) -> None:
        identity = self.template.physical[logical]
        environment = {key: str(value) for key, value in self.template.resolve(props["Environment"]["Variables"]).items()}
        environment.update(
            {
                "AWS_REGION": REGION,
                "AWS_DEFAULT_REGION": REGION,
                "AWS_LAMBDA_FUNCTION_NAME": identity["Ref"],
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(props.get("MemorySize", 128)),
                # No X-Ray daemon or CloudWatch here; logs stay quiet unless --verbose.
                "POWERTOOLS_TRACE_DISABLED": "true",
                "POWERTOOLS_METRICS_DISABLED": "true",
                "POWERTOOLS_LOG_LEVEL": "INFO" if self.options.verbose else "WARNING",
                # Powertools would filter every root-handler record whose logger name contains the
                # service name, the runtime's own "wattdesk_local" lines included.
                "POWERTOOLS_LOG_DEDUPLICATION_DISABLED": "true",
            }
        )
        endpoint = (self.template.doc["Resources"][logical].get("Metadata") or {}).get("LocalEndpoint")
        if endpoint:
            self.local_endpoints[endpoint["Path"]] = (logical, dict(endpoint.get("Fixed") or {}), endpoint.get("BodyKey", "body"))
        code_dir = (self.root / props["CodeUri"]).resolve()
        if not code_dir.is_dir():
            raise TemplateError(f"{logical}: CodeUri {props['CodeUri']} is not a directory")
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("README", "code runs in-process from " + str(props["CodeUri"]))
        self.client("lambda").create_function(
            FunctionName=identity["Ref"],
            Runtime=props.get("Runtime", "python3.12"),
            Role=self.role_arn,
            Handler=props["Handler"],
            Code={"ZipFile": buffer.getvalue()},
            Timeout=int(props.get("Timeout", 3)),
            MemorySize=int(props.get("MemorySize", 128)),
            Environment={"Variables": environment},
        )
        self.functions[logical] = LocalFunction(
            logical_id=logical,
            name=identity["Ref"],
            arn=identity["Arn"],
            code_dir=code_dir,
            handler=props["Handler"],
            environment=environment,
            memory_mb=int(props.get("MemorySize", 128)),
            timeout_s=int(props.get("Timeout", 3)),
        )

    def _create_state_machine(self, logical: str, props: dict[str, Any]) -> None:
        identity = self.template.physical[logical]
        if "DefinitionUri" in props:
            uri = props["DefinitionUri"]
            if not isinstance(uri, str):
                raise TemplateError(f"{logical}: only a local DefinitionUri is supported")
            text = (self.root / uri).read_text(encoding="utf-8")
        else:
            text = json.dumps(self.template.resolve(props["Definition"]))
        for key, value in self.template.resolve(props.get("DefinitionSubstitutions", {})).items():
            text = text.replace("${" + key + "}", str(value))
        leftover = [part for part in text.split("${")[1:]]
        if leftover:
            raise TemplateError(f"{logical}: unresolved substitution ${{{leftover[0].split('}')[0]}}}")
        self.client("stepfunctions").create_state_machine(
            name=identity["Name"], definition=text, roleArn=self.role_arn, type=props.get("Type", "STANDARD")
        )
        self.state_machines[logical] = identity["Arn"]

    def _read_api(self, logical: str, props: dict[str, Any]) -> None:
        for name, spec in (props.get("Auth", {}).get("Authorizers") or {}).items():
            if "UserPoolArn" in spec:
                arn = self.template.resolve(spec["UserPoolArn"])
                pools = [pool for pool, ident in self.template.physical.items() if ident.get("Arn") == arn]
                if pools:
                    self.authorizers[name] = pools[0]
        self._default_authorizer = props.get("Auth", {}).get("DefaultAuthorizer")

    def _read_events(self, logical: str, kind: str, events: dict[str, Any]) -> None:
        for event_name, event in events.items():
            props = event.get("Properties", {})
            if event["Type"] == "Api" and kind == "function":
                authorizer = props.get("Auth", {}).get("Authorizer", getattr(self, "_default_authorizer", None))
                self.routes.append(
                    apigw.Route(method=props["Method"].upper(), path=props["Path"], function=logical, authorizer=None if authorizer in (None, "NONE") else authorizer)
                )
            elif event["Type"] in ("ScheduleV2", "Schedule"):
                props = self.template.resolve(props)
                expression = props.get("ScheduleExpression") or props.get("Schedule")
                self.schedules.append(
                    Schedule(
                        name=f"{logical}-{event_name}",
                        expression=expression,
                        timezone=props.get("ScheduleExpressionTimezone", "UTC"),
                        input=props.get("Input"),
                        target_kind=kind,
                        target=logical,
                        dead_letter_arn=(props.get("DeadLetterConfig") or {}).get("Arn"),
                        enabled=props.get("State", "ENABLED") == "ENABLED" and props.get("Enabled", True) is not False,
                    )
                )
            elif event["Type"] == "S3" and kind == "function":
                s3_events.subscribe(self, logical, event_name, props)
            else:
                self.unsupported.append(f"{logical}.{event_name} ({event['Type']})")
                log.warning("event %s.%s of type %s is not emulated locally", logical, event_name, event["Type"])

    def _read_schedule_resource(self, logical: str, props: dict[str, Any]) -> None:
        props = self.template.resolve(props)
        target_arn = props["Target"]["Arn"]
        for target, ident in self.template.physical.items():
            if target_arn in (ident.get("Arn"), ident.get("Ref")):
                kind = "state_machine" if target in self.state_machines else "function"
                self.schedules.append(
                    Schedule(
                        name=logical,
                        expression=props["ScheduleExpression"],
                        timezone=props.get("ScheduleExpressionTimezone", "UTC"),
                        input=props["Target"].get("Input"),
                        target_kind=kind,
                        target=target,
                        dead_letter_arn=(props["Target"].get("DeadLetterConfig") or {}).get("Arn"),
                        enabled=props.get("State", "ENABLED") == "ENABLED",
                    )
                )
                return
        raise TemplateError(f"{logical}: schedule target {target_arn} is not a function or state machine of the template")

    # ================================================================== Lambda
    def _invoke_from_moto(self, function_name: str, event: Any) -> tuple[str, bool, str]:
        for function in self.functions.values():
            if function.name == function_name:
                return self.invoke(function.logical_id, event)
        return json.dumps({"errorType": "ResourceNotFoundException", "errorMessage": function_name}), True, ""

    def inject_fault(self, function: str, error_type: str, times: int, when: dict[str, Any] | None = None) -> Fault:
        """The function fails `times` times with `error_type` (as Lambda reports an uncaught error)
        on invocations whose event contains every key/value of `when`, then runs normally."""
        fault = Fault(function, error_type, times, dict(when or {}))
        self.named_faults.append(fault)
        return fault

    def _fault_for(self, logical: str, event: Any) -> Fault | None:
        for fault in self.named_faults:
            if fault.function == logical and fault.remaining > 0 and isinstance(event, dict) and all(event.get(k) == v for k, v in fault.when.items()):
                fault.remaining -= 1
                fault.raised += 1
                return fault
        return None

    def invoke(self, logical: str, event: Any) -> tuple[str, bool, str]:
        function = self.functions[logical]
        if isinstance(event, (str, bytes)):
            event = json.loads(event or "{}")
        action = event.get("action") if isinstance(event, dict) else None
        fault = self._fault_for(logical, event)
        if fault is not None:
            self.invocations.append(Invocation(logical, 0.0, True, fault.error_type, action))
            return json.dumps({"errorType": fault.error_type, "errorMessage": "injected by the local runtime"}), True, ""
        with self._in_flight_lock:
            self._in_flight += 1
        last_call.ms = None
        try:
            with faults.handler_scope(logical, event):
                payload, errored, logs = function.invoke(event)
            # A Lambda fault of runtime.faults: the handler ran (its writes are done), then its
            # result is lost (timeout, or a crash before Step Functions saved the state).
            lost = None if errored else self.faults.lambda_fault("crash_after", logical, event) or self.faults.lambda_fault("timeout", logical, event)
            if lost is not None:
                payload, errored = json.dumps({"errorType": lost.error, "errorMessage": f"{lost.kind} injected by the local runtime after the handler ran"}), True
        finally:
            with self._in_flight_lock:
                self._in_flight -= 1
        error_type = json.loads(payload).get("errorType") if errored else None
        ran_ms = last_call.ms or 0.0
        self.invocations.append(Invocation(logical, ran_ms, errored, error_type, action))
        log.debug("invoked %s in %.1f ms%s", logical, ran_ms, f" -> {error_type}" if errored else "")
        return payload, errored, logs

    # ================================================================== API
    def handle_api(self, method: str, raw_path: str, headers: dict[str, str] | None = None, body: bytes | str | dict | None = None, source_ip: str = "127.0.0.1") -> ApiResponse:
        headers = {key.lower(): value for key, value in (headers or {}).items()}
        if isinstance(body, dict):
            body = json.dumps(body)
            headers.setdefault("content-type", "application/json")
        body_bytes = body.encode("utf-8") if isinstance(body, str) else (body or b"")
        path, _, query_text = raw_path.partition("?")
        found = apigw.match(self.routes, method.upper(), path)
        if found is None:
            status = 405 if apigw.path_exists(self.routes, path) else 404
            return ApiResponse(status, {"Content-Type": "application/json"}, json.dumps({"message": "Missing Authentication Token" if status == 404 else "Method Not Allowed"}).encode())
        route, parameters = found
        claims = None
        if route.authorizer is not None:
            pool_logical = self.authorizers.get(route.authorizer)
            if pool_logical is None:
                raise TemplateError(f"authorizer {route.authorizer} is not a Cognito authorizer of the template")
            try:
                claims = auth.verify_id_token(headers.get("authorization", ""), self.template.physical[pool_logical]["Ref"], REGION)
            except auth.Unauthorized:
                return ApiResponse(401, {"Content-Type": "application/json"}, b'{"message": "Unauthorized"}')
        event = apigw.build_event(route, path, parameters, method.upper(), headers, parse_qs(query_text, keep_blank_values=True), body_bytes, source_ip, claims)
        payload, errored, _logs = self.invoke(route.function, event)
        if errored:
            log.error("handler %s raised: %s", route.function, payload[:500])
            return ApiResponse(502, {"Content-Type": "application/json"}, b'{"message": "Internal server error"}')
        status, response_headers, raw = apigw.decode_response(json.loads(payload))
        return ApiResponse(status, response_headers, raw)

    def login(self, username: str, groups: list[str], attributes: dict[str, str] | None = None) -> dict[str, str]:
        pools = list(self.template.resources("AWS::Cognito::UserPool"))
        if not pools:
            raise TemplateError("the template has no Cognito user pool")
        pool_id = self.template.physical[pools[0]]["Ref"]
        return auth.local_login(self.client("cognito-idp"), pool_id, self._pool_clients[pool_id], username, groups, attributes or {})

    # ================================================================== clock and schedules
    def now(self) -> datetime:
        return self.clock.now()

    def advance(self, *, to: datetime | None = None, days: float = 0, hours: float = 0) -> list[FiredSchedule]:
        """Moves the clock forward, firing every schedule that falls due, in time order, and
        waiting after each for the executions to finish or to wait for a human."""
        with self._advance_lock:
            start = self.clock.now()
            target = to.astimezone(UTC) if to is not None else start + timedelta(days=days, hours=hours)
            if target < start:
                raise ClockError(f"the clock only moves forward: it is {start.isoformat()}")
            due = sorted(
                ((instant, schedule) for schedule in self.schedules if schedule.enabled and self._selected(schedule)
                 for instant in schedule.due_between(self.last_fired.get(schedule.name, self.schedules_anchor), target, self.schedules_anchor)),
                key=lambda pair: (pair[0], pair[1].name),
            )
            fired = []
            for instant, schedule in due:
                self.clock.set(instant)
                fired.append(self._fire(schedule, instant))
                self.last_fired[schedule.name] = instant
                self.wait_until_settled()
            self.clock.set(max(target, self.clock.now()))
            return fired

    def only_schedules(self, *prefixes: str) -> None:
        """Until the next reset, `advance` fires only the schedules whose name starts with one of
        `prefixes`: a test of one workflow need not pay for every other daily sweep (each costs
        a fraction of a second per simulated day). The others keep their place: after the reset
        they fire from the reset time on, never retroactively."""
        self._schedule_prefixes = tuple(prefixes)

    def _selected(self, schedule: Schedule) -> bool:
        prefixes = getattr(self, "_schedule_prefixes", None)
        return prefixes is None or schedule.name.startswith(prefixes)

    def fire_due(self) -> list[FiredSchedule]:
        """With a ticking clock, fires what real time has made due (called by the server's ticker)."""
        return self.advance()

    def _fire(self, schedule: Schedule, instant: datetime) -> FiredSchedule:
        schedule_arn = f"arn:aws:scheduler:{REGION}:{ACCOUNT_ID}:schedule/default/{schedule.name}"
        payload = scheduler_input(schedule.input, instant, schedule_arn, str(uuid.uuid4()))
        result = FiredSchedule(schedule=schedule.name, at=instant.isoformat(), target=schedule.target)
        log.info("schedule %s fired for %s", schedule.name, instant.isoformat())
        if schedule.target_kind == "state_machine":
            sfn = self.client("stepfunctions")
            # Like the Scheduler, every delivery is a new execution; idempotency is the workflow's job.
            name = f"{schedule.name[:50]}-{instant:%Y%m%dT%H%M}-{uuid.uuid4().hex[:8]}"
            try:
                result.execution_arn = sfn.start_execution(stateMachineArn=self.state_machines[schedule.target], name=name, input=payload)["executionArn"]
            except sfn.exceptions.ExecutionAlreadyExists as exc:
                result.error = str(exc)
        else:
            response, errored, _ = self.invoke(schedule.target, json.loads(payload))
            if errored:
                result.error = response
        if result.error and schedule.dead_letter_arn:
            queue_url = self.client("sqs").get_queue_url(QueueName=schedule.dead_letter_arn.rsplit(":", 1)[-1])["QueueUrl"]
            self.client("sqs").send_message(QueueUrl=queue_url, MessageBody=json.dumps({"schedule": schedule.name, "input": payload, "error": result.error}))
        return result

    # ================================================================== executions
    def executions(self, status: str | None = None) -> list[dict[str, Any]]:
        sfn = self.client("stepfunctions")
        found = []
        for logical, arn in self.state_machines.items():
            kwargs: dict[str, Any] = {"stateMachineArn": arn}
            if status:
                kwargs["statusFilter"] = status
            for page in sfn.get_paginator("list_executions").paginate(**kwargs):
                for execution in page["executions"]:
                    found.append({**execution, "stateMachine": logical})
        return sorted(found, key=lambda e: e["startDate"])

    def history(self, execution_arn: str) -> list[dict[str, Any]]:
        sfn = self.client("stepfunctions")
        events: list[dict[str, Any]] = []
        for page in sfn.get_paginator("get_execution_history").paginate(executionArn=execution_arn):
            events.extend(page["events"])
        return events

    @staticmethod
    def _outstanding_tokens(events: list[dict[str, Any]]) -> int:
        def is_callback(event: dict[str, Any], key: str) -> bool:
            return "waitForTaskToken" in str(event.get(key, {}).get("resource", ""))

        submitted = sum(1 for e in events if e["type"] == "TaskSubmitted" and is_callback(e, "taskSubmittedEventDetails"))
        closed = sum(
            1
            for e in events
            if (e["type"] == "TaskSucceeded" and is_callback(e, "taskSucceededEventDetails"))
            or (e["type"] == "TaskFailed" and is_callback(e, "taskFailedEventDetails"))
            or (e["type"] == "TaskTimedOut" and is_callback(e, "taskTimedOutEventDetails"))
        )
        return submitted - closed

    def wait_until_settled(self, timeout: float | None = None) -> None:
        """Returns when no handler runs and every running execution waits for a task token
        (its history unchanged between two looks)."""
        limit = timeout or self.options.settle_timeout_s
        deadline = time.monotonic() + limit
        previous: dict[str, int] | None = None
        # ARN -> (events read, callback tokens outstanding): a history is read again only when it
        # grew, so thousands of parked executions cost a length each per poll.
        seen: dict[str, tuple[int, int]] = {}
        pause = POLL_FIRST_S
        while time.monotonic() < deadline:
            started = time.monotonic()
            running = patches.running_history_lengths(ACCOUNT_ID, REGION)
            current: dict[str, int] = {}
            parked = True
            for arn, (length, manager) in running.items():
                if arn not in seen or seen[arn][0] != length:
                    events = patches.history_events(manager)
                    seen[arn] = (len(events), self._outstanding_tokens(events))
                current[arn] = seen[arn][0]
                parked = parked and seen[arn][1] > 0
            idle = self._in_flight == 0 and patches.resumes.pending() == 0 and parked
            if idle and (not running or current == previous):
                return
            previous = current
            # Polling never takes more than a third of the time from the work it waits for.
            time.sleep(max(pause, 2 * (time.monotonic() - started)))
            pause = min(POLL_MAX_S, pause * 1.5)
        raise TimeoutError(f"executions still running after {limit}s: {sorted(previous or {})}")

    def wait_for_execution(self, execution_arn: str, timeout: float = 60.0) -> dict[str, Any]:
        """Until the execution finishes or parks on a task token; returns describe_execution."""
        deadline = time.monotonic() + timeout
        previous = -1
        pause = POLL_FIRST_S
        while time.monotonic() < deadline:
            entry = patches.running_history_lengths(ACCOUNT_ID, REGION).get(execution_arn)
            events = None if entry is None else patches.history_events(entry[1])
            if events is None or (self._in_flight == 0 and patches.resumes.pending() == 0 and self._outstanding_tokens(events) > 0 and len(events) == previous):
                return self.client("stepfunctions").describe_execution(executionArn=execution_arn)
            previous = len(events)
            time.sleep(pause)
            pause = min(POLL_MAX_S, pause * 1.5)
        raise TimeoutError(f"{execution_arn} still running after {timeout}s")

    def _stop_running_executions(self) -> None:
        sfn = self.client("stepfunctions")
        for execution in self.executions("RUNNING"):
            try:
                sfn.stop_execution(executionArn=execution["executionArn"], error="LocalRuntimeStopped", cause="the local runtime stopped")
            except Exception:  # noqa: BLE001 - best effort at shutdown
                log.debug("could not stop %s", execution["executionArn"])

    # ================================================================== mail, state
    def outbox(self, to: str | None = None) -> list[dict[str, Any]]:
        return outbox.read(ACCOUNT_ID, REGION, to)

    def mail_attachment(self, message_id: str, filename: str) -> bytes | None:
        return outbox.attachment(ACCOUNT_ID, REGION, message_id, filename)

    def save_state(self) -> None:
        assert self.options.state_dir is not None
        persistence.save(
            self.options.state_dir,
            REGION,
            {
                "clock": self.clock.now().isoformat(),
                "schedules_anchor": self.schedules_anchor.isoformat(),
                "last_fired": {name: instant.isoformat() for name, instant in self.last_fired.items()},
            },
        )

    def _load_state(self) -> None:
        assert self.options.state_dir is not None
        tables = {ident["Ref"] for logical, ident in self.template.physical.items() if logical in self.template.resources("AWS::DynamoDB::Table")}
        buckets = {ident["Ref"] for logical, ident in self.template.physical.items() if logical in self.template.resources("AWS::S3::Bucket")}
        extra = persistence.load(self.options.state_dir, REGION, tables, buckets)
        if extra:
            saved_clock = datetime.fromisoformat(extra["clock"])
            if self.options.start_time is None and saved_clock > self.clock.now():
                self.clock.set(saved_clock)
            self.schedules_anchor = datetime.fromisoformat(extra["schedules_anchor"])
            self.last_fired = {name: datetime.fromisoformat(instant) for name, instant in extra.get("last_fired", {}).items()}
