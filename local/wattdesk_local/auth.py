"""Cognito on moto: local sign-in for tests and the dev console, and token checks on protected
routes the way an API Gateway Cognito authorizer does them (signature, issuer, expiry, token use)."""

from __future__ import annotations

import secrets
import time
from typing import Any

import requests
from joserfc import jwt
from joserfc.jwk import KeySet


class Unauthorized(Exception):
    pass


def _pool_keys(pool_id: str, region: str) -> KeySet:
    # The pool's published keys, as API Gateway reads them; moto answers this URL inside the mock.
    response = requests.get(f"https://cognito-idp.{region}.amazonaws.com/{pool_id}/.well-known/jwks.json", timeout=5)
    response.raise_for_status()
    return KeySet.import_key_set(response.json())


def verify_id_token(token: str, pool_id: str, region: str) -> dict[str, Any]:
    token = token.removeprefix("Bearer ").strip()
    if not token:
        raise Unauthorized("no token")
    try:
        decoded = jwt.decode(token, _pool_keys(pool_id, region))
    except Exception as exc:  # joserfc raises several kinds for a bad token
        raise Unauthorized("token signature") from exc
    claims = dict(decoded.claims)
    if claims.get("iss") != f"https://cognito-idp.{region}.amazonaws.com/{pool_id}":
        raise Unauthorized("issuer")
    if claims.get("token_use") != "id":
        raise Unauthorized("not an id token")
    # Token lifetime is real time, like API Gateway: the simulated clock does not expire sessions.
    if int(claims.get("exp", 0)) < time.time():
        raise Unauthorized("expired")
    return claims


def local_login(cognito: Any, pool_id: str, client_id: str, username: str, groups: list[str], attributes: dict[str, str]) -> dict[str, str]:
    """Creates or updates the user, sets its groups and returns fresh tokens."""
    email = username if "@" in username else f"{username}@wattdesk.local"
    password = "Local-" + secrets.token_urlsafe(12) + "1a"
    user_attributes = [{"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"}]
    user_attributes += [{"Name": key, "Value": value} for key, value in attributes.items()]
    try:
        cognito.admin_create_user(UserPoolId=pool_id, Username=email, UserAttributes=user_attributes, MessageAction="SUPPRESS")
    except cognito.exceptions.UsernameExistsException:
        # The e-mail is the username and does not change; only the other attributes are updated.
        if attributes:
            cognito.admin_update_user_attributes(UserPoolId=pool_id, Username=email, UserAttributes=[{"Name": k, "Value": v} for k, v in attributes.items()])
    cognito.admin_set_user_password(UserPoolId=pool_id, Username=email, Password=password, Permanent=True)
    current = {group["GroupName"] for group in cognito.admin_list_groups_for_user(UserPoolId=pool_id, Username=email)["Groups"]}
    for group in current - set(groups):
        cognito.admin_remove_user_from_group(UserPoolId=pool_id, Username=email, GroupName=group)
    for group in set(groups) - current:
        cognito.admin_add_user_to_group(UserPoolId=pool_id, Username=email, GroupName=group)
    result = cognito.admin_initiate_auth(
        UserPoolId=pool_id, ClientId=client_id, AuthFlow="ADMIN_USER_PASSWORD_AUTH", AuthParameters={"USERNAME": email, "PASSWORD": password}
    )["AuthenticationResult"]
    return {"id_token": result["IdToken"], "access_token": result["AccessToken"], "username": email}
