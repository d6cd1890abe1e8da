"""An OpenAI-compatible POST /audio/speech client: OpenAI itself, self-hosted servers that
speak its shape, and the local voice runner (over its Unix socket).

For the voice runner a `Runner` is given: each call first waits, within the timeout,
for a runner that is (re)starting, and a request that could not reach a runner that has
just died is tried once more after it is back. A runner that dies while it speaks ends
that request with VoiceUnavailable; the next one waits for the restarted runner. A
request that got no answer for another reason (a kept-alive connection the server had
closed) is tried once more: speaking the same text twice is harmless.
"""

from __future__ import annotations

import httpx

from cognitia.kit.tls import client_context
from cognitia.llm.ports import ProviderUnavailable
from cognitia.llm.runner.supervisor import Runner
from cognitia.voice.errors import SpeechRejected, UnsupportedFormat, VoiceUnavailable
from cognitia.voice.ports import MEDIA_TYPES, Audio, AudioFormat, VoiceInfo
from cognitia.voice.runner.protocol import DURATION_HEADER, SAMPLE_RATE_HEADER
from cognitia.voice.wavfile import parse

# Statuses that say the request itself was refused (not that the server is down).
_REJECTED = {400, 404, 413, 422}


class OpenAISpeech:
    """SpeechSynthesizer over an OpenAI-compatible /audio/speech endpoint."""

    def __init__(  # noqa: PLR0913 -- a connection is these six things
        self,
        voices: list[VoiceInfo],
        *,
        base_url: str,
        model: str,
        api_key: str | None = None,
        timeout_seconds: float = 60.0,
        runner: Runner | None = None,
    ) -> None:
        self._voices = voices
        self._model = model
        self._runner = runner
        self._timeout = timeout_seconds
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        transport = runner.transport() if runner is not None else None
        self._client = httpx.AsyncClient(
            verify=client_context(),
            base_url=base_url.rstrip("/") + "/",
            headers=headers,
            transport=transport,
            timeout=httpx.Timeout(timeout_seconds, connect=min(5.0, timeout_seconds)),
        )

    def voices(self) -> list[VoiceInfo]:
        return list(self._voices)

    async def close(self) -> None:
        await self._client.aclose()

    async def synthesize(
        self, text: str, *, voice: str, speed: float = 1.0, audio_format: AudioFormat = "wav"
    ) -> Audio:
        body = {
            "model": self._model,
            "input": text,
            "voice": voice,
            "speed": speed,
            "response_format": audio_format,
        }
        await self._wait_for_runner()
        try:
            response = await self._client.post("audio/speech", json=body)
        except httpx.TransportError as exc:
            response = await self._recover(exc, body)
        return _audio(response, audio_format)

    async def _recover(self, exc: httpx.TransportError, body: dict[str, object]) -> httpx.Response:
        """After a request that got no answer: a runner that died while speaking is a clear
        error (and the next request waits for its restart); anything else is tried once
        more, which is safe because speaking is idempotent: a runner that was restarting,
        or a kept-alive connection the server had already closed."""
        if isinstance(exc, httpx.TimeoutException):
            raise VoiceUnavailable("The speech server took too long.") from None
        if self._runner is None:
            if isinstance(exc, httpx.ConnectError):
                raise VoiceUnavailable("The speech server cannot be reached.") from None
            return await self._post_once_more(body)
        died = await self._runner.lost()
        if died and not isinstance(exc, httpx.ConnectError):
            raise VoiceUnavailable(
                "The voice runner stopped while speaking; it is being restarted."
            ) from None
        await self._wait_for_runner()
        return await self._post_once_more(body)

    async def _post_once_more(self, body: dict[str, object]) -> httpx.Response:
        try:
            return await self._client.post("audio/speech", json=body)
        except httpx.TransportError as exc:
            if self._runner is not None:
                await self._runner.lost()  # the next request waits for a restart, if any
            raise VoiceUnavailable(_broken(exc)) from None

    async def _wait_for_runner(self) -> None:
        if self._runner is None:
            return
        try:
            await self._runner.ready(self._timeout)
        except ProviderUnavailable as exc:
            raise VoiceUnavailable(str(exc)) from None


def _broken(exc: httpx.TransportError) -> str:
    if isinstance(exc, httpx.TimeoutException):
        return "The speech server took too long."
    return f"The speech server failed ({type(exc).__name__})."


def _audio(response: httpx.Response, fmt: AudioFormat) -> Audio:
    if response.status_code == 422 and "format" in response.text:
        raise UnsupportedFormat(f"This voice cannot speak {fmt}.")
    if response.status_code in _REJECTED:
        raise SpeechRejected(_message(response))
    if response.status_code >= 400:
        raise VoiceUnavailable(f"The speech server answered {response.status_code}.")
    data = response.content
    rate, duration = _header(response, SAMPLE_RATE_HEADER), _header(response, DURATION_HEADER)
    if fmt == "wav" and (info := parse(data)) is not None:
        rate, duration = info.sample_rate, info.duration_s
    return Audio(data, MEDIA_TYPES[fmt], None if rate is None else int(rate), duration)


def _header(response: httpx.Response, name: str) -> float | None:
    try:
        return float(response.headers[name])
    except (KeyError, ValueError):
        return None


def _message(response: httpx.Response) -> str:
    try:
        message = response.json()["error"]["message"]
    except (ValueError, KeyError, TypeError):
        message = response.text
    return f"The speech server refused it: {str(message)[:300]}"
