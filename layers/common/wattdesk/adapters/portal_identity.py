"""Cognito for the customer portal (issue 10): customer users in group `customers` with the
`custom:customer_id` attribute that every /me route reads from the token.

The pool and its client come from USER_POOL_ID / USER_POOL_CLIENT_ID (template.yaml sets them on
the portal function). The sign-in name is the e-mail address (the pool's UsernameAttributes).
"""

from __future__ import annotations

import os
from typing import Any

from wattdesk.adapters.aws import client
from wattdesk.settings import ConfigurationError

CUSTOMER_GROUP = "customers"
CUSTOMER_ATTRIBUTE = "custom:customer_id"


class UserTaken(Exception):
    """The e-mail already signs in to another customer's account."""


def _pool() -> tuple[str, str]:
    pool, app_client = os.environ.get("USER_POOL_ID"), os.environ.get("USER_POOL_CLIENT_ID")
    if not pool or not app_client:
        raise ConfigurationError("USER_POOL_ID and USER_POOL_CLIENT_ID must be set")
    return pool, app_client


def _user(email: str) -> dict[str, Any] | None:
    cognito = client("cognito-idp")
    pool, _ = _pool()
    try:
        found = cognito.admin_get_user(UserPoolId=pool, Username=email)
    except cognito.exceptions.UserNotFoundException:
        return None
    return {attribute["Name"]: attribute["Value"] for attribute in found.get("UserAttributes", [])}


def customer_of(email: str) -> str | None:
    """The customer id a sign-in name belongs to, or None (no such user, or staff)."""
    attributes = _user(email)
    return attributes.get(CUSTOMER_ATTRIBUTE) if attributes else None


def user_exists(email: str) -> bool:
    return _user(email) is not None


def grant_customer_access(email: str, customer_id: str, password: str) -> None:
    """Creates (or completes) the customer's user with this password; idempotent for the same
    customer. Raises UserTaken when the e-mail belongs to another customer."""
    cognito = client("cognito-idp")
    pool, _ = _pool()
    existing = _user(email)
    if existing is not None and existing.get(CUSTOMER_ATTRIBUTE) not in (None, customer_id):
        raise UserTaken(customer_id)
    if existing is None:
        cognito.admin_create_user(
            UserPoolId=pool, Username=email, MessageAction="SUPPRESS",
            UserAttributes=[{"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"}, {"Name": CUSTOMER_ATTRIBUTE, "Value": customer_id}],
        )
    elif existing.get(CUSTOMER_ATTRIBUTE) is None:
        cognito.admin_update_user_attributes(UserPoolId=pool, Username=email, UserAttributes=[{"Name": CUSTOMER_ATTRIBUTE, "Value": customer_id}])
    cognito.admin_set_user_password(UserPoolId=pool, Username=email, Password=password, Permanent=True)
    cognito.admin_add_user_to_group(UserPoolId=pool, Username=email, GroupName=CUSTOMER_GROUP)


def change_email(old: str, new: str) -> None:
    """The verified new address becomes the sign-in name (Cognito keeps the same user)."""
    cognito = client("cognito-idp")
    pool, _ = _pool()
    if _user(old) is None:
        return  # the customer has no portal user under the old address (e.g. registered with another)
    cognito.admin_update_user_attributes(
        UserPoolId=pool, Username=old, UserAttributes=[{"Name": "email", "Value": new}, {"Name": "email_verified", "Value": "true"}]
    )


def sign_in(email: str, password: str) -> dict[str, Any] | None:
    """An id token for the pair, or None (one answer for a wrong e-mail or password)."""
    cognito = client("cognito-idp")
    pool, app_client = _pool()
    try:
        result = cognito.admin_initiate_auth(
            UserPoolId=pool, ClientId=app_client, AuthFlow="ADMIN_USER_PASSWORD_AUTH", AuthParameters={"USERNAME": email, "PASSWORD": password}
        )
    except (cognito.exceptions.NotAuthorizedException, cognito.exceptions.UserNotFoundException, cognito.exceptions.UserNotConfirmedException):
        return None
    tokens = result.get("AuthenticationResult")
    if not tokens:
        return None
    return {"id_token": tokens["IdToken"], "expires_in": int(tokens.get("ExpiresIn", 3600))}
