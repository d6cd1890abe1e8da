"""SSRF-safe fetch against a real DNS stand-in and a real HTTP server on 127.0.0.1.

No public address is reachable from CI, so the "public" site is a name that the fake DNS
resolves to 127.0.0.1 and that the allow-list names; the blocked cases use literal
addresses, other names, or redirects from that site, none of which the allow-list covers.
"""

from __future__ import annotations

import asyncio
import ssl

import pytest
import trustme

from cognitia.agents.fetch import (
    BlockedAddress,
    DnsFailed,
    FetchError,
    FetchTimeout,
    InvalidUrl,
    TooManyRedirects,
    fetch,
)
from tests.support.fake_dns import FakeDns
from tests.support.fetch_site import Site, settings_for

pytestmark = pytest.mark.asyncio


async def test_fetches_an_allowed_site_connecting_to_the_checked_address(
    site: Site, dns_server: FakeDns
) -> None:
    result = await fetch(f"http://site.test:{site.port}/hello", settings_for(dns_server))
    assert result.status == 200
    assert result.text == f"hello via site.test:{site.port}"  # Host kept, IP connected
    assert result.content_type == "text/plain; charset=utf-8"
    assert result.final_url == f"http://site.test:{site.port}/hello"
    assert not result.truncated
    assert ("site.test", "A") in dns_server.queries


@pytest.mark.parametrize(
    "target",
    [
        "http://127.0.0.1:{port}/hello",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::ffff:127.0.0.1]:{port}/hello",
        "http://[::1]:{port}/hello",
        "http://internal.test:{port}/hello",
        "http://mixed.test:{port}/hello",
        "http://sneaky.test:{port}/hello",
    ],
)
async def test_a_redirect_to_a_private_address_is_refused(
    site: Site, dns_server: FakeDns, target: str
) -> None:
    url = f"http://site.test:{site.port}/to?{target.format(port=site.port)}"
    with pytest.raises(BlockedAddress) as caught:
        await fetch(url, settings_for(dns_server))
    assert caught.value.code == "fetch_blocked_address"
    assert caught.value.status_code == 400
    assert len(site.hosts) == 1  # the redirect's target was never connected to


@pytest.mark.parametrize(
    "host", ["0x7f000001", "2130706433", "0177.0.0.1", "127.1", "017700000001"]
)
async def test_numeric_hosts_other_than_dotted_quads_are_refused(
    site: Site, dns_server: FakeDns, host: str
) -> None:
    with pytest.raises(InvalidUrl):
        await fetch(f"http://{host}:{site.port}/hello", settings_for(dns_server))
    with pytest.raises(InvalidUrl):
        await fetch(f"http://site.test:{site.port}/to?http://{host}/", settings_for(dns_server))
    assert len(site.hosts) == 1


@pytest.mark.parametrize(
    "url",
    ["ftp://site.test/", "file:///etc/passwd", "http://user:pw@site.test/", "http:///nohost"],
)
async def test_other_schemes_and_credentials_are_refused(dns_server: FakeDns, url: str) -> None:
    with pytest.raises(InvalidUrl):
        await fetch(url, settings_for(dns_server))


async def test_literal_private_addresses_are_refused_before_connecting(
    dns_server: FakeDns,
) -> None:
    for url in ("http://10.0.0.1/", "http://169.254.169.254/", "http://[fe80::1]/"):
        with pytest.raises(BlockedAddress):
            await fetch(url, settings_for(dns_server))


async def test_the_allow_list_takes_cidrs(site: Site, dns_server: FakeDns) -> None:
    settings = settings_for(dns_server, allow=["127.0.0.0/8"])
    result = await fetch(f"http://127.0.0.1:{site.port}/hello", settings)
    assert result.text == f"hello via 127.0.0.1:{site.port}"
    # the mapped spelling of an allowed address is allowed too; a name resolving there also
    result = await fetch(f"http://site.test:{site.port}/to?/hello", settings)
    assert result.final_url == f"http://site.test:{site.port}/hello"


async def test_an_unknown_name_is_a_dns_error(dns_server: FakeDns) -> None:
    with pytest.raises(DnsFailed):
        await fetch("http://nowhere.test/", settings_for(dns_server))


async def test_redirects_are_capped(site: Site, dns_server: FakeDns) -> None:
    base = f"http://site.test:{site.port}"
    url = f"{base}/to?{base}/to?{base}/to?/hello"
    result = await fetch(url, settings_for(dns_server, max_redirects=3))
    assert result.text == f"hello via site.test:{site.port}"
    with pytest.raises(TooManyRedirects):
        await fetch(url, settings_for(dns_server, max_redirects=2))


async def test_a_big_body_is_cut_at_the_cap(site: Site, dns_server: FakeDns) -> None:
    result = await fetch(
        f"http://site.test:{site.port}/big", settings_for(dns_server, max_bytes=1000)
    )
    assert result.truncated
    assert result.text == "x" * 1000


async def test_a_server_that_never_answers_times_out(site: Site, dns_server: FakeDns) -> None:
    settings = settings_for(dns_server, timeout_seconds=0.2)
    with pytest.raises(FetchTimeout) as caught:
        await fetch(f"http://site.test:{site.port}/hang", settings)
    assert caught.value.code == "fetch_timeout"


async def https_site(ca: trustme.CA, name: str) -> tuple[asyncio.Server, Site]:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(name).configure_cert(context)
    site = Site()
    server = await asyncio.start_server(site.handle, "127.0.0.1", 0, ssl=context)
    site.port = server.sockets[0].getsockname()[1]
    return server, site


async def test_tls_is_checked_against_the_name_not_the_address(dns_server: FakeDns) -> None:
    ca = trustme.CA()
    client_context = ssl.create_default_context()
    ca.configure_trust(client_context)
    server, site = await https_site(ca, "site.test")
    async with server:
        result = await fetch(
            f"https://site.test:{site.port}/hello",
            settings_for(dns_server),
            ssl_context=client_context,
        )
    assert result.text == f"hello via site.test:{site.port}"

    server, site = await https_site(ca, "other.test")  # a certificate for another name
    async with server:
        with pytest.raises(FetchError) as caught:
            await fetch(
                f"https://site.test:{site.port}/hello",
                settings_for(dns_server),
                ssl_context=client_context,
            )
    assert caught.value.code == "fetch_failed"
    assert "ConnectError" in caught.value.detail  # the handshake refused the certificate
    assert site.hosts == []
