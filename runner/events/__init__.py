"""Outbound events: signed JSON deliveries to reviewers' endpoints, from a database outbox.

A reviewer configures an endpoint (`add_endpoint`: URL, secret, events). The state changes
write their deliveries in their own transactions (`runner.store.events`); `EventDispatcher`
(a thread of `takehome serve`) sends what is due, retries with exponential backoff and jitter
(`RetryPolicy`), records every attempt, and `redeliver` sends a past delivery again. A restart
loses nothing: a delivery is a row until it is delivered or has failed its last attempt.

Each delivery is a POST of `{"id", "event", "created_at", "data"}` with the headers
`X-Takehome-Event`, `X-Takehome-Delivery` (the id) and `X-Takehome-Signature-256`
(`sha256=` + hex HMAC-SHA256 of the raw body under the endpoint's secret, as GitHub signs).

URLs: https (http only with `events_allow_http`), no credentials or fragment, and every address
the host resolves to must be public, by the Git intake's rules (`runner.gitintake.check_address`;
loopback only with `git_allow_loopback`): checked when the endpoint is configured and again
before every attempt, the connection made to the checked address; redirects are not followed.

Exception tree (`.reason` is the error code the API answers with)::

    EventError (ValueError)
    ├── EndpointRefused          url_refused       scheme, credentials, malformed, no DNS
    │   └── EndpointAddressRefused address_refused an internal address (checked before any
    │                                              connection)
    ├── InvalidEndpoint          invalid_endpoint  no or unknown events, a bad secret
    └── DeliveryBusy             delivery_busy     redeliver while an attempt is under way

An unknown endpoint or delivery is `runner.store.records.NotFound`.
"""

from runner.events._dispatch import EventDispatcher, RetryPolicy
from runner.events._endpoints import (
    DeliveryLog,
    add_endpoint,
    delivery_log,
    list_endpoints,
    remove_endpoint,
)
from runner.events._errors import (
    DeliveryBusy,
    EndpointAddressRefused,
    EndpointRefused,
    EventError,
    InvalidEndpoint,
)
from runner.events._send import Answer, signature
from runner.events._url import EventPolicy, Target, check_endpoint_url
from runner.store.events import EVENTS

__all__ = [
    "EVENTS",
    "Answer",
    "DeliveryBusy",
    "DeliveryLog",
    "EndpointAddressRefused",
    "EndpointRefused",
    "EventDispatcher",
    "EventError",
    "EventPolicy",
    "InvalidEndpoint",
    "RetryPolicy",
    "Target",
    "add_endpoint",
    "check_endpoint_url",
    "delivery_log",
    "list_endpoints",
    "remove_endpoint",
    "signature",
]
