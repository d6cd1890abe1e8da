"""A VoiceConverter over an rvc-python API server (`python -m rvc_python api`).

Its API (rvc_python/api.py, rvc-python 0.1.x) keeps one loaded model and one set of
parameters for the whole server:

- `POST /models/{name}` loads a model (a folder of its models directory); 400 if unknown;
- `POST /params` `{"params": {...}}` sets f0up_key, f0method, index_rate, ... ;
- `POST /convert` `{"audio_data": base64 audio}` answers the converted WAV, 400 with no
  model loaded, 500 when inference fails; errors are FastAPI's `{"detail": "..."}`.

So one converter per server serialises its conversions (a lock), loads a model only
when the next conversion needs another one, and sends the parameters only when they
change. A server that has lost its model (it restarted) answers 400 to /convert: the
model is loaded again and the conversion tried once more.
"""

from __future__ import annotations

import asyncio
import base64
from urllib.parse import quote

import httpx

from cognitia.config import ConversionEntry
from cognitia.kit.tls import client_context
from cognitia.voice.errors import VoiceUnavailable
from cognitia.voice.ports import MEDIA_TYPES, Audio
from cognitia.voice.wavfile import parse

PARAMS = (
    "f0up_key",
    "f0method",
    "index_rate",
    "filter_radius",
    "resample_sr",
    "rms_mix_rate",
    "protect",
)


class RvcConverter:
    """VoiceConverter for one rvc-python API server."""

    def __init__(self, base_url: str, *, timeout_seconds: float = 60.0) -> None:
        self._lock = asyncio.Lock()
        self._model: str | None = None  # what this process last loaded there
        self._params: dict[str, object] | None = None
        self._client = httpx.AsyncClient(
            verify=client_context(),
            base_url=base_url.rstrip("/") + "/",
            timeout=httpx.Timeout(timeout_seconds, connect=min(5.0, timeout_seconds)),
        )

    async def close(self) -> None:
        await self._client.aclose()

    async def convert(self, wav: bytes, *, conversion: ConversionEntry) -> Audio:
        body = {"audio_data": base64.b64encode(wav).decode("ascii")}
        async with self._lock:
            try:
                await self._prepare(conversion)
                response = await self._client.post("convert", json=body)
                if response.status_code == 400:  # no model loaded: the server restarted
                    self._model = self._params = None
                    await self._prepare(conversion)
                    response = await self._client.post("convert", json=body)
            except httpx.TransportError as exc:
                self._model = self._params = None  # it may come back without them
                raise VoiceUnavailable(_unreachable(exc)) from None
        return _converted(response)

    async def _prepare(self, conversion: ConversionEntry) -> None:
        if self._model != conversion.model:
            response = await self._client.post(f"models/{quote(conversion.model, safe='')}")
            if response.status_code != 200:
                self._model = None
                raise VoiceUnavailable(
                    f"The voice conversion server could not load the model"
                    f" {conversion.model!r}: {_detail(response)}"
                )
            self._model = conversion.model
        params = {name: getattr(conversion, name) for name in PARAMS}
        if self._params != params:
            response = await self._client.post("params", json={"params": params})
            if response.status_code != 200:
                self._params = None
                raise VoiceUnavailable(
                    f"The voice conversion server refused the parameters: {_detail(response)}"
                )
            self._params = params


def _converted(response: httpx.Response) -> Audio:
    if response.status_code != 200:
        raise VoiceUnavailable(f"The voice conversion failed: {_detail(response)}")
    info = parse(response.content)
    if info is None:
        raise VoiceUnavailable("The voice conversion server answered something that is not WAV.")
    return Audio(response.content, MEDIA_TYPES["wav"], info.sample_rate, info.duration_s)


def _unreachable(exc: httpx.TransportError) -> str:
    if isinstance(exc, httpx.TimeoutException):
        return "The voice conversion server took too long."
    return "The voice conversion server cannot be reached."


def _detail(response: httpx.Response) -> str:
    try:
        detail = response.json()["detail"]
    except (ValueError, KeyError, TypeError):
        detail = response.text
    return f"{response.status_code} {str(detail)[:300]}"
