"""Reading a patient's pick among offered times: numbers, "nenhum", day and time words."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot.core.slot_choice import (
    NONE,
    SlotChoice,
    choices_from,
    list_items,
    offer_text,
    pick,
    to_data,
)

_SP = ZoneInfo("America/Sao_Paulo")
OFFERED = (
    SlotChoice("a", datetime(2026, 12, 8, 9, 0, tzinfo=_SP), "Dra. Ana"),  # terça de manhã
    SlotChoice("b", datetime(2026, 12, 8, 14, 30, tzinfo=_SP), "Dra. Ana"),  # terça à tarde
    SlotChoice("c", datetime(2026, 12, 10, 9, 0, tzinfo=_SP), "Dr. Paulo"),  # quinta de manhã
)


@pytest.mark.parametrize(
    ("reply", "picked"),
    [
        ("2", 1),
        ("2️⃣", 1),
        ("opção dois", 1),
        ("a de número 3", 2),
        ("terça à tarde", 1),
        ("Terca a tarde", 1),
        ("quinta de manhã", 2),
        ("pode ser quinta", 2),
        ("dia 10", 2),
        ("às 14:30", 1),
        ("terça 9h", 0),
        ("nenhum", NONE),
        ("Nenhum deles", NONE),
        ("nenhuma serve", NONE),
        ("terça", None),  # two times on Tuesday
        ("9h", None),  # two times at nine
        ("7", None),  # not on the list
        ("sábado", None),
        ("sim", None),
        ("amanhã", None),
        ("", None),
    ],
)
def test_pick(reply: str, picked: object) -> None:
    assert pick(reply, OFFERED) == picked


def test_offer_text_is_numbered_and_round_trips_through_data() -> None:
    assert offer_text(OFFERED).splitlines() == [
        "1. terça-feira, 8 de dezembro, às 09:00, com Dra. Ana",
        "2. terça-feira, 8 de dezembro, às 14:30, com Dra. Ana",
        "3. quinta-feira, 10 de dezembro, às 09:00, com Dr. Paulo",
    ]
    assert choices_from(to_data(OFFERED)) == list(OFFERED)
    assert choices_from([{"id": "x"}, "junk"]) == []
    assert choices_from(None) == []


@pytest.mark.parametrize(
    ("item_id", "text", "picked"),
    [
        ("slot:b", "ter 08/12 às 14:30", 1),
        ("slot:c", "", 2),
        ("slot:a", "nenhum", 0),  # the tap wins over the words that came with it
        ("slot:z", "ter 08/12 às 09:00", None),  # an item of an older list
        ("confirm", "2", 1),  # not a list item: the text is read as usual
    ],
)
def test_pick_by_list_item(item_id: str, text: str, picked: object) -> None:
    assert pick(text, OFFERED, item_id) == picked


def test_list_items_fit_twilios_list_picker_limits() -> None:
    long_name = SlotChoice("d", datetime(2026, 12, 12, 16, 45, tzinfo=_SP), "Dra. " + "A" * 80)
    items = list_items((*OFFERED, long_name))
    assert [i[0] for i in items] == ["slot:a", "slot:b", "slot:c", "slot:d"]
    assert items[0][1:] == ("ter 08/12 às 09:00", "com Dra. Ana")
    assert items[3][1] == "sáb 12/12 às 16:45"
    assert len(items[3][2]) == 72
    assert items[3][2].endswith("…")
    assert all(len(i[1]) <= 24 for i in items)


@pytest.mark.parametrize("count", [0, 11])
def test_no_list_when_the_times_cannot_all_be_items(count: int) -> None:
    many = [SlotChoice(str(n), OFFERED[0].starts_at, "Dra. Ana") for n in range(count)]
    assert list_items(many) == ()


def test_no_list_when_an_id_is_over_twilios_limit() -> None:
    assert list_items([SlotChoice("x" * 200, OFFERED[0].starts_at, "Dra. Ana")]) == ()
