"""The characters service, one module per use case; other domains import it as
`from cognitia.characters import service as characters`.

- characters: visibility, create/read/update/delete, the marketplace, chat counts
- avatars: the picture, in the blob store
- voice: who may use a character's voice model
- cards: Character Card import and export
"""

from cognitia.characters.service.avatars import (
    delete_avatar,
    forget_blobs_of,
    get_avatar,
    set_avatar,
)
from cognitia.characters.service.cards import ImportOutcome, export_card, import_file
from cognitia.characters.service.characters import (
    create,
    delete,
    get_owned,
    get_visible,
    increment_chat_count,
    list_by_ids,
    list_visible_by_ids,
    marketplace,
    on_delete,
    page_for_owner,
    update,
)
from cognitia.characters.service.voice import (
    can_use_voice,
    grant_voice,
    list_voice_permissions,
    revoke_voice,
    voice_usable_by_all,
)

__all__ = [
    "ImportOutcome",
    "can_use_voice",
    "create",
    "delete",
    "delete_avatar",
    "export_card",
    "forget_blobs_of",
    "get_avatar",
    "get_owned",
    "get_visible",
    "grant_voice",
    "import_file",
    "increment_chat_count",
    "list_by_ids",
    "list_visible_by_ids",
    "list_voice_permissions",
    "marketplace",
    "on_delete",
    "page_for_owner",
    "revoke_voice",
    "set_avatar",
    "update",
    "voice_usable_by_all",
]
