"""Example prompts of each lane, for the routing classifier (llm/intent.py).

The classifier picks the lane whose nearest example is most similar to the latest user
message. `long` has none: length decides it, by rule. Edit with care: benchmarks and
tests/llm/test_intent.py check prompts of each kind against these.
"""

from __future__ import annotations

PROTOTYPES: dict[str, tuple[str, ...]] = {
    "code": (
        "Write a Python function that parses a date string",
        "Why does my JavaScript say undefined is not a function?",
        "Refactor this class to use dependency injection",
        "How do I reverse a linked list in C?",
        "My SQL query returns duplicate rows, how do I fix it?",
        "What does this regular expression match?",
        "How do I sort a dictionary by value in Python?",
    ),
    "retrieve": (
        "What does the employee handbook say about vacation days?",
        "Find the section of the contract about termination",
        "When is the deadline mentioned in my notes?",
        "What does the uploaded report say about revenue?",
        "Which document mentions the refund policy?",
        "Look up the warranty period in the product manual",
    ),
    "plan": (
        "Help me plan a two-week trip to Japan",
        "Break launching a podcast down into steps",
        "Create a study schedule for my exams next month",
        "What should I do first to start a small business?",
        "Outline a project plan for migrating our database",
        "Organise my week so I finish the thesis chapter",
    ),
    "govern": (
        "Is it legal to record a phone call without consent?",
        "Does this message break our content rules?",
        "Check this text for personal data before we publish it",
        "Are we allowed to store customer emails for marketing?",
        "Review whether this answer is safe to send to a child",
        "Could this advertisement get us into legal trouble?",
    ),
    "chat": (
        "Hi, how are you today?",
        "Tell me a joke",
        "What is your favourite movie?",
        "I had a rough day at work",
        "Let's talk about music",
        "Good morning! Did you sleep well?",
        "What do you think about cats?",
    ),
}
