"""Real speech for the transcription tests: espeak-ng speaks a sentence into a WAV, and
PyAV's FFmpeg re-encodes it as the browsers and phones send it (WebM-Opus, Ogg-Opus, MP3).
"""

from __future__ import annotations

import io
import shutil
import subprocess
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

SENTENCE = "Please remember to buy fresh bread and milk tomorrow morning."
# Words tiny.en gets right from espeak-ng's voice in every format (it hears "bread" as "red").
KEY_WORDS = ("remember", "milk", "tomorrow", "morning")
# (container, codec, codec's sample rate) for each upload format besides WAV.
ENCODINGS = {
    "webm": ("webm", "libopus", 48_000),
    "ogg": ("ogg", "libopus", 48_000),
    "mp3": ("mp3", "libmp3lame", 16_000),
}
ESPEAK = shutil.which("espeak-ng")


def spoken_wav(folder: Path, text: str = SENTENCE) -> bytes:
    """espeak-ng saying `text`, as the WAV it writes (22.05 kHz mono)."""
    assert ESPEAK is not None, "espeak-ng is not installed (./dev installs it)"
    path = folder / "spoken.wav"
    subprocess.run([ESPEAK, "-w", str(path), text], check=True, timeout=60)
    return path.read_bytes()


def pcm16k(wav: bytes) -> np.ndarray:
    """The WAV as 16 kHz mono float32, resampled by FFmpeg."""
    resampler = av.AudioResampler(format="flt", layout="mono", rate=16_000)
    chunks = []
    with av.open(io.BytesIO(wav)) as container:
        for frame in container.decode(audio=0):
            chunks.extend(f.to_ndarray().reshape(-1) for f in resampler.resample(frame))
    chunks.extend(f.to_ndarray().reshape(-1) for f in resampler.resample(None))
    return np.concatenate(chunks).astype(np.float32)


def encode(samples: np.ndarray, fmt: str, *, rate: int = 16_000) -> bytes:
    """Float samples in [-1, 1] at `rate` as a WebM, Ogg or MP3 file (or a 16-bit WAV)."""
    buffer = io.BytesIO()
    container_name, codec, codec_rate = ENCODINGS.get(fmt, ("wav", "pcm_s16le", rate))
    pcm = (np.clip(samples, -1, 1) * 32767).astype("<i2").reshape(1, -1)
    with av.open(buffer, mode="w", format=container_name) as container:
        stream = container.add_stream(codec, rate=codec_rate)
        stream.layout = "mono"  # type: ignore[union-attr]
        frame = av.AudioFrame.from_ndarray(pcm, format="s16", layout="mono")
        frame.sample_rate, frame.time_base, frame.pts = rate, Fraction(1, rate), 0
        for packet in stream.encode(frame):  # type: ignore[union-attr]
            container.mux(packet)
        for packet in stream.encode(None):  # type: ignore[union-attr]
            container.mux(packet)
    return buffer.getvalue()


def silence(seconds: float, rate: int = 16_000) -> np.ndarray:
    return np.zeros(round(seconds * rate), dtype=np.float32)
