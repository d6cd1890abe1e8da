"""The RVC adapter against a stand-in that speaks rvc-python's API (tests/support/fake_rvc.py)."""

from __future__ import annotations

import asyncio
import struct
from collections.abc import AsyncIterator, Iterator

import pytest
import pytest_asyncio

from cognitia.config import ConversionEntry
from cognitia.voice.adapters.rvc import RvcConverter
from cognitia.voice.errors import VoiceUnavailable
from cognitia.voice.wavfile import parse, wav
from tests.support.fake_rvc import TARGET_RATE, FakeRvc, negated
from tests.support.net import free_port

pytestmark = pytest.mark.asyncio
SAMPLES = struct.pack("<4h", 100, -200, 300, 32767)
SPEECH = wav(SAMPLES, sample_rate=22050)


@pytest.fixture(scope="module")
def rvc_server() -> Iterator[FakeRvc]:
    with FakeRvc() as fake:
        yield fake


@pytest.fixture
def rvc(rvc_server: FakeRvc) -> FakeRvc:
    rvc_server.forget()
    rvc_server.models[:] = ["ava", "bob"]
    rvc_server.conversions.clear()
    rvc_server.loads.clear()
    rvc_server.param_posts.clear()
    return rvc_server


@pytest_asyncio.fixture
async def converter(rvc: FakeRvc) -> AsyncIterator[RvcConverter]:
    converter = RvcConverter(rvc.url, timeout_seconds=10)
    yield converter
    await converter.close()


def entry(rvc: FakeRvc, model: str = "ava", **params: object) -> ConversionEntry:
    return ConversionEntry.model_validate({"url": rvc.url, "model": model, **params})


async def test_a_wav_comes_back_converted(rvc: FakeRvc, converter: RvcConverter) -> None:
    audio = await converter.convert(SPEECH, conversion=entry(rvc))

    assert audio.data == rvc.conversions[-1].output
    assert audio.media_type == "audio/wav"
    assert audio.sample_rate == TARGET_RATE
    info = parse(audio.data)
    assert info is not None
    assert info.samples == negated(SAMPLES)
    assert audio.duration_s == pytest.approx(4 / TARGET_RATE)


async def test_the_model_is_loaded_once_and_switched_when_another_is_named(
    rvc: FakeRvc, converter: RvcConverter
) -> None:
    await converter.convert(SPEECH, conversion=entry(rvc, "ava"))
    await converter.convert(SPEECH, conversion=entry(rvc, "ava"))
    await converter.convert(SPEECH, conversion=entry(rvc, "bob"))

    assert rvc.loads == ["ava", "bob"]
    assert [c.model for c in rvc.conversions] == ["ava", "ava", "bob"]


async def test_conversions_at_once_each_get_their_own_model(
    rvc: FakeRvc, converter: RvcConverter
) -> None:
    models = ["ava", "bob", "ava", "bob"]

    answers = await asyncio.gather(
        *(converter.convert(SPEECH, conversion=entry(rvc, m)) for m in models)
    )

    # One at a time, in order, each with the model it named (the server holds only one).
    assert [c.model for c in rvc.conversions] == models
    assert [a.data for a in answers] == [c.output for c in rvc.conversions]


async def test_the_parameters_are_sent_when_they_change(
    rvc: FakeRvc, converter: RvcConverter
) -> None:
    await converter.convert(SPEECH, conversion=entry(rvc, f0up_key=4, f0method="pm"))
    await converter.convert(SPEECH, conversion=entry(rvc, f0up_key=4, f0method="pm"))
    await converter.convert(SPEECH, conversion=entry(rvc, f0up_key=-3))

    assert len(rvc.param_posts) == 2
    first, second = rvc.conversions[0].params, rvc.conversions[2].params
    assert (first["f0up_key"], first["f0method"], first["protect"]) == (4, "pm", 0.5)
    assert (second["f0up_key"], second["f0method"]) == (-3, "rmvpe")


async def test_a_server_that_lost_its_model_gets_it_again(
    rvc: FakeRvc, converter: RvcConverter
) -> None:
    await converter.convert(SPEECH, conversion=entry(rvc))
    rvc.forget()  # the server restarted

    audio = await converter.convert(SPEECH, conversion=entry(rvc))

    assert rvc.loads == ["ava", "ava"]
    assert audio.data == rvc.conversions[-1].output


async def test_a_model_the_server_lacks_is_a_clear_503(
    rvc: FakeRvc, converter: RvcConverter
) -> None:
    with pytest.raises(VoiceUnavailable, match=r"'carol'.*Model carol not found"):
        await converter.convert(SPEECH, conversion=entry(rvc, "carol"))

    assert rvc.conversions == []


async def test_a_failed_conversion_is_a_clear_503(rvc: FakeRvc, converter: RvcConverter) -> None:
    with pytest.raises(VoiceUnavailable, match="conversion failed: 500 An error occurred"):
        await converter.convert(b"not a wav at all", conversion=entry(rvc))


async def test_a_server_that_is_down_is_503() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    converter = RvcConverter(url, timeout_seconds=5)
    try:
        with pytest.raises(VoiceUnavailable, match="cannot be reached"):
            await converter.convert(SPEECH, conversion=ConversionEntry(url=url, model="ava"))
    finally:
        await converter.close()
