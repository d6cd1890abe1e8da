"""PCM to the formats of OpenAI's speech API: wav and pcm here, mp3, opus and ogg (Opus in
Ogg) with PyAV's bundled FFmpeg when the `av` package is installed."""

from __future__ import annotations

import importlib.util
import io
from fractions import Fraction

from cognitia.voice.ports import MEDIA_TYPES
from cognitia.voice.wavfile import wav

# What each container is written with by FFmpeg: (container, codec, output sample rate).
_CODECS: dict[str, tuple[str, str, int | None]] = {
    "mp3": ("mp3", "libmp3lame", None),
    "opus": ("ogg", "libopus", 48000),
    "ogg": ("ogg", "libopus", 48000),
}


class FormatUnavailable(Exception):
    """The format needs PyAV, which is not installed."""


def formats() -> list[str]:
    """The formats this runner can write."""
    extra = list(_CODECS) if importlib.util.find_spec("av") is not None else []
    return ["wav", "pcm", *extra]


def media_type(fmt: str) -> str:
    return MEDIA_TYPES[fmt]


def encode(samples: bytes, *, sample_rate: int, fmt: str) -> bytes:
    """Encode mono 16-bit PCM; FormatUnavailable when the format needs PyAV and it is missing."""
    if fmt == "pcm":
        return samples
    if fmt == "wav":
        return wav(samples, sample_rate=sample_rate)
    if fmt not in formats():
        raise FormatUnavailable(f"{fmt} needs the av package (PyAV)")
    return _with_av(samples, sample_rate=sample_rate, fmt=fmt)


def _with_av(samples: bytes, *, sample_rate: int, fmt: str) -> bytes:
    import av
    import numpy as np
    from av.audio.stream import AudioStream

    container_name, codec, rate = _CODECS[fmt]
    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format=container_name) as container:
        stream = container.add_stream(codec, rate=rate or sample_rate)
        assert isinstance(stream, AudioStream)
        stream.layout = "mono"
        frame = av.AudioFrame.from_ndarray(
            np.frombuffer(samples, dtype="<i2").reshape(1, -1), format="s16", layout="mono"
        )
        frame.sample_rate = sample_rate
        frame.time_base = Fraction(1, sample_rate)
        frame.pts = 0
        # The encoder resamples to its own rate and frame size (Opus: 48 kHz, 20 ms).
        for packet in [*stream.encode(frame), *stream.encode(None)]:
            container.mux(packet)
    return buffer.getvalue()
