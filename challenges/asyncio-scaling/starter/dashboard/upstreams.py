"""Clients of the three upstream services."""

import json
import os
import urllib.error
import urllib.request

PROFILE_URL = os.environ.get("PROFILE_URL", "http://127.0.0.1:9101")
ORDERS_URL = os.environ.get("ORDERS_URL", "http://127.0.0.1:9102")
RECOMMENDATIONS_URL = os.environ.get("RECOMMENDATIONS_URL", "http://127.0.0.1:9103")


class NotFoundError(Exception):
    """The upstream answered 404."""


def get_json(url):
    """GET `url` and decode its JSON body."""
    try:
        with urllib.request.urlopen(url) as response:  # noqa: S310 - fixed http:// base URLs
            return json.loads(response.read())
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            raise NotFoundError(url) from exc
        raise


def get_profile(user_id):
    """The user's profile."""
    return get_json(f"{PROFILE_URL}/users/{user_id}")


def get_orders(user_id):
    """The user's orders."""
    return get_json(f"{ORDERS_URL}/users/{user_id}/orders")


def get_recommendations(user_id):
    """The user's recommended items."""
    return get_json(f"{RECOMMENDATIONS_URL}/users/{user_id}/recommendations")
