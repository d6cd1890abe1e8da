"""An OpenAI-compatible POST /audio/transcriptions client: OpenAI itself, self-hosted
servers that speak its shape (faster-whisper-server, vLLM, LocalAI ...), and the local
voice runner (over its Unix socket).

It asks for `verbose_json` to get the language, the duration and timed segments; a
server that sends only `{"text"}` gives a transcript without them. For the voice
runner a `Runner` is given: each call first waits, within the timeout, for a runner
that is (re)starting, and a request that could not reach a runner that has just died
is tried once more after it is back.
"""

from __future__ import annotations

import mimetypes
from typing import Any

import httpx

from cognitia.kit.tls import client_context
from cognitia.llm.ports import ProviderUnavailable
from cognitia.llm.runner.supervisor import Runner
from cognitia.voice.errors import AudioTooLarge, AudioTooLong, UnsupportedAudio, VoiceUnavailable
from cognitia.voice.ports import Segment, Transcript

# The runner's codes, and what a hosted server's refusal most likely means.
_BY_CODE: dict[str, type[Exception]] = {
    "audio_too_large": AudioTooLarge,
    "audio_too_long": AudioTooLong,
    "unsupported_audio": UnsupportedAudio,
}
_BY_STATUS: dict[int, type[Exception]] = {
    400: UnsupportedAudio,
    413: AudioTooLarge,
    415: UnsupportedAudio,
    422: UnsupportedAudio,
}


class OpenAITranscriber:
    """Transcriber over an OpenAI-compatible /audio/transcriptions endpoint."""

    def __init__(
        self,
        *,
        base_url: str,
        model: str,
        api_key: str | None = None,
        timeout_seconds: float = 120.0,
        runner: Runner | None = None,
    ) -> None:
        self._model = model
        self._runner = runner
        self._timeout = timeout_seconds
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = httpx.AsyncClient(
            verify=client_context(),
            base_url=base_url.rstrip("/") + "/",
            headers=headers,
            transport=runner.transport() if runner is not None else None,
            timeout=httpx.Timeout(timeout_seconds, connect=min(5.0, timeout_seconds)),
        )

    async def close(self) -> None:
        await self._client.aclose()

    async def transcribe(
        self, audio: bytes, *, filename: str, language: str | None = None
    ) -> Transcript:
        fields = {"model": self._model, "response_format": "verbose_json"}
        if language:
            fields["language"] = language
        upload = {"file": (filename or "audio", audio, _media_type(filename))}
        await self._wait_for_runner()
        try:
            response = await self._client.post("audio/transcriptions", data=fields, files=upload)
        except httpx.ConnectError:
            # Not reached at all: a runner that died between two requests is waited for.
            if self._runner is None or not await self._runner.lost():
                raise VoiceUnavailable("The transcription server cannot be reached.") from None
            await self._wait_for_runner()
            response = await self._post_once_more(fields, upload)
        except httpx.HTTPError as exc:
            await self._doubt_runner()
            raise VoiceUnavailable(_broken(exc, runner=self._runner is not None)) from None
        return _transcript(_checked(response), language)

    async def _doubt_runner(self) -> None:
        """After a runner broke off a request: ask it now, so that the next request waits
        for the restarted runner rather than racing the supervisor to a dying socket."""
        if self._runner is not None:
            await self._runner.lost()

    async def _post_once_more(self, fields: dict[str, str], upload: Any) -> httpx.Response:
        try:
            return await self._client.post("audio/transcriptions", data=fields, files=upload)
        except httpx.HTTPError as exc:
            await self._doubt_runner()
            raise VoiceUnavailable(_broken(exc, runner=True)) from None

    async def _wait_for_runner(self) -> None:
        if self._runner is None:
            return
        try:
            await self._runner.ready(self._timeout)
        except ProviderUnavailable as exc:
            raise VoiceUnavailable(str(exc)) from None


def _media_type(filename: str) -> str:
    guessed, _ = mimetypes.guess_type(filename or "")
    return guessed or "application/octet-stream"


def _broken(exc: httpx.HTTPError, *, runner: bool) -> str:
    if isinstance(exc, httpx.TimeoutException):
        return "The transcription server took too long."
    if runner:
        return f"The voice runner stopped while transcribing ({type(exc).__name__})."
    return f"The transcription server failed ({type(exc).__name__})."


def _checked(response: httpx.Response) -> dict[str, Any]:
    if response.status_code < 400:
        try:
            body = response.json()
        except ValueError:
            raise VoiceUnavailable("The transcription server sent no JSON.") from None
        if not isinstance(body, dict) or not isinstance(body.get("text"), str):
            raise VoiceUnavailable("The transcription server sent no text.")
        return body
    code, message = _error_of(response)
    kind = _BY_CODE.get(code) or _BY_STATUS.get(response.status_code)
    if kind is None:  # 401, 403, 429, 5xx: nothing the caller's audio can fix
        raise VoiceUnavailable(f"The transcription server answered {response.status_code}.")
    raise kind(message)


def _error_of(response: httpx.Response) -> tuple[str, str]:
    try:
        error = response.json()["error"]
        return str(error.get("code") or ""), str(error.get("message") or "")[:300]
    except (ValueError, KeyError, TypeError, AttributeError):
        return "", response.text[:300]


def _transcript(body: dict[str, Any], language: str | None) -> Transcript:
    segments = tuple(_segment(s) for s in body.get("segments") or () if isinstance(s, dict))
    duration = _number(body.get("duration"))
    if duration is None:
        duration = segments[-1].end if segments else 0.0
    return Transcript(
        text=body["text"].strip(),
        language=str(body.get("language") or language or ""),
        duration_s=duration,
        segments=segments,
    )


def _segment(raw: dict[str, Any]) -> Segment:
    return Segment(
        start=_number(raw.get("start")) or 0.0,
        end=_number(raw.get("end")) or 0.0,
        text=str(raw.get("text") or "").strip(),
    )


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
