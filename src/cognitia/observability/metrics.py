"""Prometheus metrics, defined once per process on the default registry."""

from prometheus_client import Counter, Gauge, Histogram

HTTP_REQUESTS = Counter(
    "cognitia_http_requests_total",
    "HTTP requests by route template, method and status.",
    ["route", "method", "status"],
)
HTTP_LATENCY = Histogram(
    "cognitia_http_request_duration_seconds",
    "HTTP request latency by route template and method.",
    ["route", "method"],
)
JOBS = Counter("cognitia_jobs_total", "Jobs run, by name and outcome.", ["name", "outcome"])
JOB_DURATION = Histogram("cognitia_job_duration_seconds", "Job run time by name.", ["name"])
JOBS_ENQUEUED = Counter("cognitia_jobs_enqueued_total", "Jobs handed to the queue.", ["name"])
JOBS_BACKLOG = Gauge(
    "cognitia_jobs_backlog",
    "Jobs queued or running in the whole queue, by name (taskiq: name 'all'), as this"
    " process last read it.",
    ["name"],
)
RECALL_SKIPPED = Counter(
    "cognitia_recall_skipped_total",
    "Replies that started without recall, by reason (timeout, error).",
    ["reason"],
)
BACKGROUND_YIELD_SECONDS = Counter(
    "cognitia_background_yield_seconds",
    "Seconds background work (embedded jobs) waited for replies that were starting.",
)
