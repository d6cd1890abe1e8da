"""Reading the few facts the API needs from a WAV file, without decoding it."""

from __future__ import annotations

import io
import struct
import wave
from dataclasses import dataclass


@dataclass(frozen=True)
class WavInfo:
    sample_rate: int
    channels: int
    sample_width: int
    samples: bytes  # the data chunk

    @property
    def duration_s(self) -> float:
        return len(self.samples) / (self.channels * self.sample_width * self.sample_rate)


def parse(data: bytes) -> WavInfo | None:
    """The format and PCM of a RIFF/WAVE file; None when it is not one.

    The data chunk runs to the end of the file when its size field says more than is
    there: espeak-ng writing to a pipe cannot seek back, and leaves 0x7fffffff sizes.
    """
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        return None
    offset, fmt = 12, None
    while offset + 8 <= len(data):
        chunk_id, size = data[offset : offset + 4], struct.unpack_from("<I", data, offset + 4)[0]
        body = offset + 8
        if chunk_id == b"fmt " and size >= 16:
            fmt = struct.unpack_from("<HHIIHH", data, body)
        elif chunk_id == b"data" and fmt is not None:
            _, channels, rate, _, _, bits = fmt
            if not channels or not rate or bits % 8:
                return None
            return WavInfo(rate, channels, bits // 8, data[body : body + size])
        offset = body + size + (size & 1)
    return None


def wav(samples: bytes, *, sample_rate: int) -> bytes:
    """A WAV file of mono signed 16-bit PCM."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(sample_rate)
        out.writeframes(samples)
    return buffer.getvalue()
