"""A stand-in rvc-python API server (`python -m rvc_python api`) on 127.0.0.1.

It speaks exactly rvc_python/api.py's API (rvc-python 0.1.x): the same paths, methods,
request models and answers, FastAPI's `{"detail"}` errors included:

    POST /convert {"audio_data": base64}   -> the WAV (audio/wav); 400 with no model loaded;
                                              500 "An error occurred: ..." when inference fails
    GET  /models                           -> {"models": [names]}
    POST /models/{model_name}              -> {"message": "Model X loaded successfully"}; 400
    GET  /params / POST /params {"params"} -> the seven parameters / {"message"}
    POST /upload_model (zip), /set_device, /set_models_dir

One model and one set of parameters for the whole server, as there. Instead of RVC's
inference it answers a real WAV at the model's target rate (40 kHz) whose samples are the
input's, negated: a client can check that what it got is the converted audio. Every
conversion is recorded with the model and parameters in force; `forget()` drops the loaded
model, as a restarted server would.
"""

from __future__ import annotations

import base64
import io
import struct
import zipfile
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, File, HTTPException, UploadFile
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel

from cognitia.voice.wavfile import parse, wav
from tests.support.served import ServedApp

TARGET_RATE = 40000
VALID_PARAMS = (
    "index_rate",
    "filter_radius",
    "resample_sr",
    "rms_mix_rate",
    "protect",
    "f0up_key",
    "f0method",
)


class SetDeviceRequest(BaseModel):
    device: str


class ConvertAudioRequest(BaseModel):
    audio_data: str


class SetParamsRequest(BaseModel):
    params: dict[str, Any]


class SetModelsDirRequest(BaseModel):
    models_dir: str


@dataclass(frozen=True)
class Conversion:
    model: str
    params: dict[str, Any]
    output: bytes


def negated(samples: bytes) -> bytes:
    count = len(samples) // 2
    values = struct.unpack(f"<{count}h", samples[: count * 2])
    return struct.pack(f"<{count}h", *(max(-32768, min(32767, -v)) for v in values))


class FakeRvc(ServedApp):
    def __init__(self, models: tuple[str, ...] = ("ava", "bob")) -> None:
        super().__init__()
        self.models = list(models)
        self.current_model: str | None = None
        self.device = "cpu:0"
        # RVCInference's defaults, before `python -m rvc_python api` sets its own.
        self.params: dict[str, Any] = {
            "f0method": "harvest",
            "f0up_key": 0,
            "index_rate": 0.5,
            "filter_radius": 3,
            "resample_sr": 0,
            "rms_mix_rate": 1,
            "protect": 0.33,
        }
        self.conversions: list[Conversion] = []
        self.loads: list[str] = []
        self.param_posts: list[dict[str, Any]] = []
        self.app = FastAPI()
        self._routes(self.app)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def forget(self) -> None:
        """As after a restart: no model loaded."""
        self.current_model = None

    def _infer(self, audio: bytes) -> bytes:
        info = parse(audio)
        if info is None:
            raise ValueError("could not read the audio file")
        rate = self.params["resample_sr"] or TARGET_RATE
        return wav(negated(info.samples), sample_rate=rate)

    def _routes(self, app: FastAPI) -> None:  # noqa: C901 -- one nested function per route, as there
        @app.post("/convert")
        def rvc_convert(request: ConvertAudioRequest) -> Response:
            if not self.current_model:
                raise HTTPException(
                    status_code=400, detail="No model loaded. Please load a model first."
                )
            try:
                output = self._infer(base64.b64decode(request.audio_data))
            except Exception as e:
                raise HTTPException(status_code=500, detail=f"An error occurred: {e!s}") from e
            self.conversions.append(Conversion(self.current_model, dict(self.params), output))
            return Response(content=output, media_type="audio/wav")

        @app.get("/models")
        def list_models() -> JSONResponse:
            return JSONResponse(content={"models": list(self.models)})

        @app.post("/models/{model_name}")
        def load_model(model_name: str) -> JSONResponse:
            if model_name not in self.models:
                raise HTTPException(status_code=400, detail=f"Model {model_name} not found.")
            self.current_model = model_name
            self.loads.append(model_name)
            return JSONResponse(content={"message": f"Model {model_name} loaded successfully"})

        @app.get("/params")
        def get_params() -> JSONResponse:
            return JSONResponse(content=dict(self.params))

        @app.post("/params")
        def set_params(request: SetParamsRequest) -> JSONResponse:
            self.param_posts.append(dict(request.params))
            for key, value in request.params.items():
                if key in VALID_PARAMS:  # others are ignored with a warning there
                    self.params[key] = value
            return JSONResponse(content={"message": "Parameters updated successfully"})

        @app.post("/upload_model")
        async def upload_models(file: UploadFile = File(...)) -> JSONResponse:
            try:
                with zipfile.ZipFile(io.BytesIO(await file.read())) as archive:
                    names = archive.namelist()
            except zipfile.BadZipFile as e:
                raise HTTPException(status_code=500, detail=str(e)) from e
            for name in names:
                folder, _, rest = name.partition("/")
                if rest.endswith(".pth") and folder not in self.models:
                    self.models.append(folder)
            return JSONResponse(content={"message": "Models uploaded and extracted successfully"})

        @app.post("/set_device")
        def set_device(request: SetDeviceRequest) -> JSONResponse:
            self.device = request.device
            return JSONResponse(content={"message": f"Device set to {request.device}"})

        @app.post("/set_models_dir")
        def set_models_dir(request: SetModelsDirRequest) -> JSONResponse:
            raise HTTPException(
                status_code=400, detail=f"Directory {request.models_dir} does not exist"
            )
