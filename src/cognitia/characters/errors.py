"""Errors of the characters domain (lorebooks and personas included).

NotFound (404 not_found)
├── CharacterNotFound, LorebookNotFound, EntryNotFound, PersonaNotFound
├── AvatarNotFound
└── UserNotFound
Forbidden (403)
└── NotOwner (403 not_owner)
Unprocessable (422)
├── UnknownTemplate (422 unknown_template)
├── UnknownModel (422 unknown_model)
├── InvalidRegex (422 invalid_regex)
├── NoCardInImage (422 no_card_in_image)
└── MalformedCard (422 malformed_card)
FileTooLarge (413 file_too_large)
UnsupportedFile (415 unsupported_file)
└── NotAnImage (415 not_an_image)
"""

from __future__ import annotations

from cognitia.errors import CognitiaError, Forbidden, NotFound, Unprocessable


class CharacterNotFound(NotFound):
    default_detail = "No such character."


class LorebookNotFound(NotFound):
    default_detail = "No such lorebook."


class EntryNotFound(NotFound):
    default_detail = "No such lorebook entry."


class PersonaNotFound(NotFound):
    default_detail = "No such persona."


class AvatarNotFound(NotFound):
    default_detail = "This character has no avatar."


class UserNotFound(NotFound):
    default_detail = "No such user."


class NotOwner(Forbidden):
    code = "not_owner"
    default_detail = "Only the character's owner may do this."


class UnknownTemplate(Unprocessable):
    code = "unknown_template"


class UnknownModel(Unprocessable):
    code = "unknown_model"


class UnknownTool(Unprocessable):
    code = "unknown_tool"


class InvalidRegex(Unprocessable):
    code = "invalid_regex"


class NoCardInImage(Unprocessable):
    code = "no_card_in_image"
    default_detail = "The image holds no character card (no `chara` or `ccv3` text chunk)."


class MalformedCard(Unprocessable):
    code = "malformed_card"
    default_detail = "The character card cannot be read."


class FileTooLarge(CognitiaError):
    status_code = 413
    code = "file_too_large"
    default_detail = "The file is too large."


class UnsupportedFile(CognitiaError):
    status_code = 415
    code = "unsupported_file"
    default_detail = "Expected a PNG, a JSON card, a CHARX archive or a World Info JSON file."


class NotAnImage(UnsupportedFile):
    code = "not_an_image"
    default_detail = "The file is not a PNG, JPEG, WebP or GIF image."
