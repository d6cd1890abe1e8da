"""Errors of the chats domain.

NotFound (404)
├── ChatNotFound (chat_not_found): no such chat, or the caller is not a member
├── MessageNotFound (message_not_found)
├── ChatCharacterNotFound (character_not_found): a character not visible to the caller
├── UserNotFound (user_not_found): a participant that does not exist
├── PersonaNotFound (persona_not_found)
├── SwipeNotFound (swipe_not_found)
└── ToolCallNotFound (tool_call_not_found): no call in this chat waited for approval
Forbidden (403)
├── NotOwner (not_owner): only the chat's owner may do this
└── NotAuthor (not_author): only the author (or the chat's owner) may change a message
Conflict (409)
├── NotLastReply (not_last_reply): regenerate and continue work on the last reply only
├── MessageBusy (message_streaming): the message is still being generated
├── OwnerStays (owner_stays): the owner cannot leave their chat
├── ChatClosed (chat_closed): the chat's coaching session has ended; it takes no new turns
├── LastCharacter (last_character): a chat keeps at least one character
└── ToolCallNotPending (tool_call_not_pending): decided already, timed out, or its reply ended
TooManyCalls (429 too_many_calls): the live calls of this process or person are at their bound
Unprocessable (422)
├── SpeakerRequired (speaker_required): manual turn-taking needs `character_id`
└── NotInChat (speaker_not_in_chat): `character_id` is not one of the chat's characters
"""

from __future__ import annotations

from cognitia.errors import CognitiaError, Conflict, Forbidden, NotFound, Unprocessable


class ChatNotFound(NotFound):
    code = "chat_not_found"
    default_detail = "No such chat."


class MessageNotFound(NotFound):
    code = "message_not_found"
    default_detail = "No such message in this chat."


class ChatCharacterNotFound(NotFound):
    code = "character_not_found"
    default_detail = "No such character."


class UserNotFound(NotFound):
    code = "user_not_found"
    default_detail = "No such user."


class PersonaNotFound(NotFound):
    code = "persona_not_found"
    default_detail = "No such persona."


class SwipeNotFound(NotFound):
    code = "swipe_not_found"
    default_detail = "This message has no alternative with that index."


class ToolCallNotFound(NotFound):
    code = "tool_call_not_found"
    default_detail = "No tool call in this chat waits for approval under that id."


class NotOwner(Forbidden):
    code = "not_owner"
    default_detail = "Only the chat's owner may do this."


class CharacterUnavailable(Forbidden):
    code = "character_unavailable"
    detail = "The chat's owner may no longer use this character (it was made private)."


class NotYourself(Forbidden):
    code = "not_yourself"
    detail = "Only the person themselves may change this."


class NotAuthor(Forbidden):
    code = "not_author"
    default_detail = "Only the message's author or the chat's owner may change it."


class NotLastReply(Conflict):
    code = "not_last_reply"
    default_detail = "Only the chat's last message, a character's reply, can be used here."


class MessageBusy(Conflict):
    code = "message_streaming"
    default_detail = "The message is still being generated; stop it first."


class ChatClosed(Conflict):
    code = "chat_closed"
    default_detail = "This chat is closed (its coaching session has ended): it takes no new turns."


class OwnerStays(Conflict):
    code = "owner_stays"
    default_detail = "The owner cannot leave the chat; delete it instead."


class LastCharacter(Conflict):
    code = "last_character"
    default_detail = "A chat keeps at least one character."


class ToolCallNotPending(Conflict):
    code = "tool_call_not_pending"
    default_detail = "This tool call was decided already, timed out, or its reply ended."


class SpeakerRequired(Unprocessable):
    code = "speaker_required"
    default_detail = "This chat uses manual turn-taking: say who speaks with `character_id`."


class NotInChat(Unprocessable):
    code = "speaker_not_in_chat"
    default_detail = "That character is not in this chat."


class TooManyCalls(CognitiaError):
    status_code = 429
    code = "too_many_calls"
    default_detail = "Too many live calls at once; hang up another one first."
