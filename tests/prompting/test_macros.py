"""{{char}}, {{user}}, {{time}}, {{date}} and the legacy <BOT>/<CHAR>/<USER> macros."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from cognitia.prompting.macros import format_date, format_time, render

NOW = datetime(2024, 3, 5, 15, 7, tzinfo=UTC)


def test_names_are_replaced() -> None:
    text = render("{{char}} greets {{user}}.", char="Seraphina", user="Alice", now=NOW)

    assert text == "Seraphina greets Alice."


def test_macros_are_case_insensitive_like_sillytavern() -> None:
    text = render("{{CHAR}} and {{User}} and {{cHaR}}", char="S", user="A", now=NOW)

    assert text == "S and A and S"


def test_legacy_angle_brackets() -> None:
    text = render("<BOT> meets <USER>; <CHAR> again; <bot>", char="S", user="A", now=NOW)

    assert text == "S meets A; S again; S"


def test_time_and_date_are_moment_lt_and_ll_in_english() -> None:
    text = render("It is {{time}} on {{date}}.", char="S", user="A", now=NOW)

    assert text == "It is 3:07 PM on March 5, 2024."


@pytest.mark.parametrize(
    ("hour", "minute", "expected"),
    [(0, 5, "12:05 AM"), (9, 30, "9:30 AM"), (12, 0, "12:00 PM"), (23, 59, "11:59 PM")],
)
def test_time_around_midnight_and_noon(hour: int, minute: int, expected: str) -> None:
    assert format_time(datetime(2024, 1, 1, hour, minute, tzinfo=UTC)) == expected


def test_date_of_a_single_digit_day() -> None:
    assert format_date(datetime(2025, 12, 1, tzinfo=UTC)) == "December 1, 2025"


def test_unknown_macros_are_left_as_they_are() -> None:
    text = render(
        "{{random::a::b}} {{weekday}} {{char}} {{ original }}", char="S", user="A", now=NOW
    )

    assert text == "{{random::a::b}} {{weekday}} S {{ original }}"


def test_a_name_that_looks_like_a_macro_is_not_expanded_again() -> None:
    text = render("{{user}} and {{char}}", char="{{user}}", user="<BOT>", now=NOW)

    assert text == "<BOT> and {{user}}"


def test_text_without_macros_is_returned_unchanged() -> None:
    assert render("plain text", char="S", user="A", now=NOW) == "plain text"
