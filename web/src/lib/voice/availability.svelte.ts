// Whether this server can speak: asked once (GET /voices); 503 voice_unavailable, or any
// other failure, hides every voice control in the UI.
import { voiceApi, type Voice } from "./api";

export const voice = $state<{ checked: boolean; available: boolean; voices: Voice[]; default: string | null }>({
  checked: false,
  available: false,
  voices: [],
  default: null,
});

let asking: Promise<void> | null = null;

/** Ask the server once per page load (again after a failure that was not a refusal). */
export function checkVoice(): Promise<void> {
  asking ??= voiceApi.list().then(
    (list) => {
      voice.voices = list.voices;
      voice.default = list.default;
      voice.available = list.voices.length > 0;
      voice.checked = true;
    },
    () => {
      voice.available = false;
      voice.checked = true;
    },
  );
  return asking;
}
