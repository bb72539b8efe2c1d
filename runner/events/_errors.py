"""The outbound events' exceptions (the tree is drawn in `runner.events`)."""

from __future__ import annotations

__all__ = [
    "DeliveryBusy",
    "EndpointAddressRefused",
    "EndpointRefused",
    "EventError",
    "InvalidEndpoint",
]


class EventError(ValueError):
    """An endpoint or a delivery request the service refuses; `.reason` names the rule."""

    reason = "event_error"


class EndpointRefused(EventError):
    """The endpoint's URL is not one the service sends to (scheme, credentials, form)."""

    reason = "url_refused"


class EndpointAddressRefused(EndpointRefused):
    """The endpoint's host resolves to an address the service never connects to."""

    reason = "address_refused"


class InvalidEndpoint(EventError):
    """The endpoint's events or secret are not acceptable."""

    reason = "invalid_endpoint"


class DeliveryBusy(EventError):
    """The delivery is being sent right now: a redelivery waits until that attempt ends."""

    reason = "delivery_busy"
