"""Reads template.yaml (CloudFormation short-form tags included) and resolves intrinsic functions
to the physical names the local runtime gives each resource."""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ACCOUNT_ID = "123456789012"
REGION = "eu-west-1"
STACK_NAME = "wattdesk"


class _CfnLoader(yaml.SafeLoader):
    pass


def _tag_constructor(loader: yaml.SafeLoader, tag_suffix: str, node: yaml.Node) -> dict[str, Any]:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    if tag_suffix == "Ref":
        return {"Ref": value}
    if tag_suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{tag_suffix}": value}


_CfnLoader.add_multi_constructor("!", _tag_constructor)


def load_template(path: Path) -> dict[str, Any]:
    return yaml.load(path.read_text(encoding="utf-8"), Loader=_CfnLoader)  # noqa: S506 - SafeLoader subclass


class TemplateError(ValueError):
    pass


@dataclass
class Template:
    """The parsed template plus the physical identity (Ref and attributes) of every resource."""

    path: Path
    parameter_overrides: dict[str, str] = field(default_factory=dict)
    doc: dict[str, Any] = field(init=False)
    physical: dict[str, dict[str, str]] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        self.doc = load_template(self.path)
        self.root = self.path.parent
        for logical, resource in self.resources().items():
            self.physical[logical] = self._default_identity(logical, resource)

    # ------------------------------------------------------------------ access
    def resources(self, *types: str) -> dict[str, dict[str, Any]]:
        all_resources = self.doc.get("Resources", {})
        return {name: res for name, res in all_resources.items() if not types or res.get("Type") in types}

    def properties(self, logical: str) -> dict[str, Any]:
        """The resource's properties with SAM Globals merged in (functions only)."""
        resource = self.doc["Resources"][logical]
        props = copy.deepcopy(resource.get("Properties", {}))
        if resource["Type"] == "AWS::Serverless::Function":
            defaults = copy.deepcopy(self.doc.get("Globals", {}).get("Function", {}))
            env = defaults.get("Environment", {}).get("Variables", {})
            env.update(props.get("Environment", {}).get("Variables", {}))
            merged = {**defaults, **props}
            merged["Environment"] = {"Variables": env}
            props = merged
        return props

    def parameter(self, name: str) -> str:
        if name in self.parameter_overrides:
            return self.parameter_overrides[name]
        spec = self.doc.get("Parameters", {}).get(name)
        if spec is None or "Default" not in spec:
            raise TemplateError(f"parameter {name} has no default and no override")
        return str(spec["Default"])

    def set_identity(self, logical: str, **values: str) -> None:
        self.physical[logical].update(values)

    # ------------------------------------------------------------------ names
    def _default_identity(self, logical: str, resource: dict[str, Any]) -> dict[str, str]:
        kind = resource.get("Type", "")
        props = resource.get("Properties", {}) or {}
        arn = f"arn:aws:{{service}}:{REGION}:{ACCOUNT_ID}:{{rest}}"

        def explicit(key: str, default: str) -> str:
            return self.resolve(props[key]) if key in props else default

        if kind == "AWS::DynamoDB::Table":
            name = explicit("TableName", f"{STACK_NAME}-{logical}")
            return {"Ref": name, "Arn": arn.format(service="dynamodb", rest=f"table/{name}")}
        if kind == "AWS::S3::Bucket":
            name = explicit("BucketName", f"{STACK_NAME}-{logical}-{ACCOUNT_ID}".lower())
            return {"Ref": name, "Arn": f"arn:aws:s3:::{name}", "DomainName": f"{name}.s3.amazonaws.com"}
        if kind == "AWS::SQS::Queue":
            name = explicit("QueueName", f"{STACK_NAME}-{logical}")
            return {"Ref": f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT_ID}/{name}", "Arn": arn.format(service="sqs", rest=name), "QueueName": name}
        if kind == "AWS::SNS::Topic":
            name = explicit("TopicName", f"{STACK_NAME}-{logical}")
            topic_arn = arn.format(service="sns", rest=name)
            return {"Ref": topic_arn, "TopicArn": topic_arn, "TopicName": name}
        if kind == "AWS::Serverless::Function":
            name = explicit("FunctionName", f"{STACK_NAME}-{logical}")
            return {"Ref": name, "Arn": arn.format(service="lambda", rest=f"function:{name}")}
        if kind == "AWS::Serverless::StateMachine":
            name = explicit("Name", f"{STACK_NAME}-{logical}")
            machine_arn = arn.format(service="states", rest=f"stateMachine:{name}")
            return {"Ref": machine_arn, "Arn": machine_arn, "Name": name}
        if kind == "AWS::SES::EmailIdentity":
            return {"Ref": self.resolve(props["EmailIdentity"])}
        # Identities known only after creation (user pools, clients) are set by the runtime.
        return {"Ref": f"{logical}-local", "Arn": arn.format(service="local", rest=logical)}

    # ------------------------------------------------------------------ intrinsics
    def _pseudo(self, name: str) -> str | None:
        return {
            "AWS::Region": REGION,
            "AWS::AccountId": ACCOUNT_ID,
            "AWS::StackName": STACK_NAME,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
        }.get(name)

    def _ref(self, name: str) -> str:
        pseudo = self._pseudo(name)
        if pseudo is not None:
            return pseudo
        if name in self.doc.get("Parameters", {}):
            return self.parameter(name)
        if name in self.physical:
            return self.physical[name]["Ref"]
        raise TemplateError(f"Ref to unknown name {name}")

    def _getatt(self, logical: str, attribute: str) -> str:
        try:
            return self.physical[logical][attribute]
        except KeyError as exc:
            raise TemplateError(f"GetAtt {logical}.{attribute} is not known to the local runtime") from exc

    def _sub(self, text: str, variables: dict[str, Any]) -> str:
        def replace(match: re.Match[str]) -> str:
            expression = match.group(1)
            if expression.startswith("!"):
                return "${" + expression[1:] + "}"
            if expression in variables:
                return str(self.resolve(variables[expression]))
            if "." in expression and expression.split(".", 1)[0] in self.physical:
                return self._getatt(*expression.split(".", 1))
            return self._ref(expression)

        return re.sub(r"\$\{([^}]+)\}", replace, text)

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self.resolve(item) for item in value]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            (key, argument), = value.items()
            if key == "Ref":
                return self._ref(argument)
            if key == "Fn::GetAtt":
                return self._getatt(*argument) if isinstance(argument, list) else self._getatt(*argument.split(".", 1))
            if key == "Fn::Sub":
                if isinstance(argument, list):
                    return self._sub(argument[0], argument[1])
                return self._sub(argument, {})
            if key == "Fn::Join":
                return str(argument[0]).join(str(self.resolve(item)) for item in self.resolve(argument[1]))
            if key == "Fn::Select":
                return self.resolve(argument[1])[int(self.resolve(argument[0]))]
            if key == "Fn::Split":
                return str(self.resolve(argument[1])).split(argument[0])
            if key.startswith("Fn::"):
                raise TemplateError(f"{key} is not supported by the local runtime")
        return {key: self.resolve(item) for key, item in value.items()}
