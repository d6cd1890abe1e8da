"""Voice errors that reach an API client.

ServiceUnavailable-like (503)
└── VoiceUnavailable (voice_unavailable): no engine can speak or listen now
    └── LiveKitNotConfigured (livekit_not_configured): no LiveKit url, key and secret
Forbidden (403)
└── VoiceNotGranted (voice_not_granted): a cloned voice without its owner's grant
Unprocessable (422)
├── UnknownVoice (unknown_voice): a voice name not in the catalogue
├── UnsupportedFormat (unsupported_format): an output format the voice cannot make
├── SpeechRejected (speech_rejected): the speech server refused this text or voice
├── UnsupportedAudio (unsupported_audio): uploaded audio that cannot be decoded
└── AudioTooLong (audio_too_long): decoded audio longer than the limit
TextTooLong (413 text_too_long)
AudioTooLarge (413 audio_too_large)
"""

from __future__ import annotations

from cognitia.errors import CognitiaError, Unprocessable


class VoiceUnavailable(CognitiaError):
    status_code = 503
    code = "voice_unavailable"
    default_detail = "No voice engine is available right now."


class UnknownVoice(Unprocessable):
    code = "unknown_voice"
    default_detail = "No such voice."


class UnsupportedFormat(Unprocessable):
    code = "unsupported_format"
    default_detail = "This audio format is not supported by the voice."


class SpeechRejected(Unprocessable):
    code = "speech_rejected"
    default_detail = "The speech server refused this request."


class UnsupportedAudio(Unprocessable):
    code = "unsupported_audio"
    default_detail = "The audio could not be decoded."


class TextTooLong(CognitiaError):
    status_code = 413
    code = "text_too_long"
    default_detail = "The text is too long to speak in one request."


class AudioTooLarge(CognitiaError):
    status_code = 413
    code = "audio_too_large"
    default_detail = "The audio file is too large."


class AudioTooLong(Unprocessable):
    code = "audio_too_long"
    default_detail = "The audio is too long to transcribe in one request."


class LiveKitNotConfigured(VoiceUnavailable):
    code = "livekit_not_configured"
    default_detail = "LiveKit is not configured on this server."


class VoiceNotGranted(CognitiaError):
    status_code = 403
    code = "voice_not_granted"
    default_detail = "This cloned voice needs its owner's permission."
