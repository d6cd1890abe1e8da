// The voice endpoints (docs/voice.md): the voices, speech for a text, a recording's text.
import { api, send, type Schema } from "../api";

export type Voice = Schema<"VoiceRead">;
export type VoiceList = Schema<"VoiceList">;
export type Transcription = Schema<"TranscriptionRead">;

export const voiceApi = {
  list: () => api.get<VoiceList>("/api/v2/voices"),
  /** The audio (a WAV file) for `text`, as `characterId` when given. */
  speak: async (text: string, options: { characterId?: string; voice?: string; speed?: number } = {}) => {
    const body: Schema<"SpeechCreate"> = {
      text,
      character_id: options.characterId ?? null,
      voice: options.voice ?? null,
      speed: options.speed ?? null,
      response_format: "wav",
    };
    const response = await send("POST", "/api/v2/voice/speech", { json: body, accept: "audio/*" });
    return response.arrayBuffer();
  },
  transcribe: (recording: Blob, filename: string) => {
    const form = new FormData();
    form.append("file", recording, filename);
    return api.upload<Transcription>("/api/v2/voice/transcriptions", form);
  },
};
