"""Characters, their cards, avatars and voice permissions; lorebooks; user personas."""
