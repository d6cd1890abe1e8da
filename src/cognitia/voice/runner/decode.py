"""Uploaded audio to 16 kHz mono float samples, with PyAV's bundled FFmpeg (in the voice
runner only: FFmpeg's demuxers and decoders are native code fed untrusted bytes).

The container is chosen from the file's first bytes, never by FFmpeg's probe: probing
can pick demuxers such as HLS or concat that open other files or URLs named inside
the upload. Only WAV, WebM (Matroska), Ogg and MP3 get through. Decoding stops as soon
as the audio passes the duration limit, so a small file that expands to hours of
silence costs no more than the limit.
"""

from __future__ import annotations

import io
from collections.abc import Iterator

import av
import numpy as np
import numpy.typing as npt

SAMPLE_RATE = 16_000
Samples = npt.NDArray[np.float32]


class UndecodableAudio(Exception):
    """Not a WAV, WebM, Ogg or MP3 file, or one FFmpeg cannot decode."""


class AudioTooLong(Exception):
    """The audio lasts longer than the limit."""


def container_of(data: bytes) -> str | None:
    """FFmpeg's demuxer for these bytes, from their signature; None when not allowed."""
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        return "wav"
    if data[:4] == b"\x1a\x45\xdf\xa3":  # EBML: Matroska and WebM
        return "matroska"
    if data[:4] == b"OggS":
        return "ogg"
    if data[:3] == b"ID3" or _mpeg_frame_sync(data):
        return "mp3"
    return None


def _mpeg_frame_sync(data: bytes) -> bool:
    # An MP3 without an ID3 tag starts with a frame header: 11 set bits, then layer III.
    return len(data) >= 2 and data[0] == 0xFF and data[1] & 0xE0 == 0xE0 and data[1] & 0x06 == 0x02


def decode(data: bytes, *, max_seconds: float) -> Samples:
    """The audio as 16 kHz mono float32; UndecodableAudio or AudioTooLong otherwise."""
    container_format = container_of(data)
    if container_format is None:
        raise UndecodableAudio("not a WAV, WebM, Ogg or MP3 file")
    limit = int(max_seconds * SAMPLE_RATE)
    chunks: list[Samples] = []
    decoded = 0
    try:
        for chunk in _resampled(data, container_format):
            decoded += len(chunk)
            if decoded > limit:
                raise AudioTooLong(f"the audio is longer than {max_seconds:g} seconds")
            chunks.append(chunk)
    except (av.FFmpegError, ValueError, EOFError) as exc:  # EOFError: a truncated file
        raise UndecodableAudio(f"the audio could not be decoded: {exc}") from None
    if decoded == 0:
        raise UndecodableAudio("the file holds no audio")
    return np.concatenate(chunks)


def _resampled(data: bytes, container_format: str) -> Iterator[Samples]:
    resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
    with av.open(io.BytesIO(data), mode="r", format=container_format) as container:
        if not container.streams.audio:
            raise UndecodableAudio("the file holds no audio stream")
        for frame in container.decode(audio=0):
            for out in resampler.resample(frame):
                yield _mono(out)
    for out in resampler.resample(None):
        yield _mono(out)


def _mono(frame: av.AudioFrame) -> Samples:
    samples: Samples = frame.to_ndarray().reshape(-1).astype(np.float32, copy=False)
    return samples
