"""Every table, one module each; importing this package registers them all on Base.metadata."""

from cognitia.models.api_key import ApiKey
from cognitia.models.audio_usage import AudioUsage
from cognitia.models.auth_session import AuthSession
from cognitia.models.character import Character, CharacterTag, VoicePermission
from cognitia.models.chat import Chat, ChatCharacter, ChatLorebook, ChatParticipant
from cognitia.models.chat_summary import ChatSummary
from cognitia.models.chunk import Chunk
from cognitia.models.coaching_session import CoachingSession
from cognitia.models.document import Document
from cognitia.models.email_token import EmailToken
from cognitia.models.job import Job
from cognitia.models.llm_call import LlmCall
from cognitia.models.lorebook import Lorebook, LorebookEntry
from cognitia.models.memory_fact import MemoryFact
from cognitia.models.message import Message, MessageSwipe
from cognitia.models.persona import Persona
from cognitia.models.plan import Plan
from cognitia.models.refresh_token import RefreshToken
from cognitia.models.stripe_event import StripeEvent
from cognitia.models.subscription import Subscription, SubscriptionStatus, UsageCounter
from cognitia.models.task import Task, TaskStep
from cognitia.models.usage_daily import GenerationSlot, SubscriptionNotice, UsageDaily
from cognitia.models.user import User

__all__ = [
    "ApiKey",
    "AudioUsage",
    "AuthSession",
    "Character",
    "CharacterTag",
    "Chat",
    "ChatCharacter",
    "ChatLorebook",
    "ChatParticipant",
    "ChatSummary",
    "Chunk",
    "CoachingSession",
    "Document",
    "EmailToken",
    "GenerationSlot",
    "Job",
    "LlmCall",
    "Lorebook",
    "LorebookEntry",
    "MemoryFact",
    "Message",
    "MessageSwipe",
    "Persona",
    "Plan",
    "RefreshToken",
    "StripeEvent",
    "Subscription",
    "SubscriptionNotice",
    "SubscriptionStatus",
    "Task",
    "TaskStep",
    "UsageCounter",
    "UsageDaily",
    "User",
    "VoicePermission",
]
