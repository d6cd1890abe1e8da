"""One TLS context for every outgoing HTTP client of the process.

Making one loads the CA bundle, about 40 ms of CPU on a busy 2-core machine (and about
1.5 ms to free), and each httpx client made without it makes its own: every model provider,
embedder and voice adapter, the runners' health checks, Stripe. A context is safe to share
once made (nothing here changes it afterwards), so they all use this one. It honours
SSL_CERT_FILE and SSL_CERT_DIR, as httpx's own default does.
"""

from __future__ import annotations

import functools
import ssl

import httpx


@functools.cache
def client_context() -> ssl.SSLContext:
    return httpx.create_ssl_context(trust_env=True)
