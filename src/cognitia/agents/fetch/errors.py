"""Why a fetch was refused or failed; each a 4xx with a stable code (errors.py renders them)."""

from __future__ import annotations

from cognitia.errors import BadRequest


class FetchError(BadRequest):
    code = "fetch_failed"
    default_detail = "The page could not be fetched."


class InvalidUrl(FetchError):
    code = "fetch_invalid_url"
    default_detail = "Only http and https URLs with a host name or a dotted IP address."


class BlockedAddress(FetchError):
    code = "fetch_blocked_address"
    default_detail = "The address is not public and not on the allow-list."


class DnsFailed(FetchError):
    code = "fetch_dns_failed"
    default_detail = "The host name could not be resolved."


class FetchTimeout(FetchError):
    code = "fetch_timeout"
    default_detail = "The fetch took too long."


class TooManyRedirects(FetchError):
    code = "fetch_too_many_redirects"
    default_detail = "Too many redirects."
