// Character names by id, asked once per id: a task names its agents by id only. A character
// that cannot be read any more (deleted, made private) is still named, as such.
import { characters } from "./characters";

export class CharacterNames {
  private names = $state<Record<string, string>>({});
  private asked = new Set<string>();

  /** The name, or a placeholder until it is known. */
  name = (id: string): string => this.names[id] ?? (this.asked.has(id) ? "…" : "a character");

  /** Ask for the names not asked for yet. */
  want(ids: Iterable<string>): void {
    for (const id of ids) {
      if (this.asked.has(id)) continue;
      this.asked.add(id);
      characters.get(id).then(
        (character) => (this.names[id] = character.name),
        () => (this.names[id] = "a character no longer available"),
      );
    }
  }
}
