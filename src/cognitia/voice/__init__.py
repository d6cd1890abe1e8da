"""Voice: text to speech and speech to text behind ports, with adapters chosen by a catalogue."""
