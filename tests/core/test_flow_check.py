"""Static checks of flow files: every problem with the right file line."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.errors import FlowError
from bot.core.flow_check import check_flow, flow_version, load_flow
from bot.core.flow_spec import json_schema, parse_duration

ROOT = Path(__file__).resolve().parents[2]
GOOD = (ROOT / "flows/confirmation.yaml").read_text(encoding="utf-8")


def line_of(text: str, needle: str) -> int:
    """1-based line of the last line containing ``needle`` (states come after messages)."""
    found = [n for n, line in enumerate(text.splitlines(), 1) if needle in line]
    assert found, f"{needle!r} not in text"
    return found[-1]


def problems(text: str) -> list[str]:
    return [str(p) for p in check_flow(text, "flows/broken.yaml").problems]


def test_the_shipped_flows_pass() -> None:
    for path in (ROOT / "flows").glob("*.yaml"):
        result = check_flow(path.read_text(encoding="utf-8"), str(path))
        assert result.problems == ()
        assert result.flow is not None
        assert result.flow.version == flow_version(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("old", "new", "at", "message"),
    [
        # unknown state in a transition
        (
            "      cancel: confirm_cancel\n",
            "      cancel: confirm_cancle\n",
            "cancel: confirm_cancle",
            'o estado "confirm_cancle" não existe em states',
        ),
        # unknown action
        (
            "do: [request_reschedule, offer_slots]",
            "do: [request_reschedule, offer_slot]",
            "offer_slot]",
            'a ação "offer_slot" não existe',
        ),
        # unknown intent in "on"
        (
            "      reschedule: reschedule\n    timeout: {after: 24h",
            "      reshedule: reschedule\n    timeout: {after: 24h",
            "reshedule: reschedule",
            'o intent "reshedule" não existe em intents',
        ),
        # unknown variable in a text
        ("Um momento!", "Um momento, {nome}!", "{nome}", 'a variável "{nome}" não existe'),
        # template variables that do not match the text
        (
            'variables: {"1": appointment_phrase}',
            'variables: {"1": first_name}',
            'variables: {"1": first_name}',
            "não são as do texto",
        ),
        # a waiting state without a timeout
        ("    timeout: {after: 12h, to: closed_quietly}\n", "", "  cancelled:", "não tem timeout"),
        # a misspelt key (pydantic, extra=forbid)
        (
            "    terminal: true\n    later: after_confirmed\n  reschedule:",
            "    terminal: yes\n    termnal: true\n    later: after_confirmed\n  reschedule:",
            "termnal: true",
            'chave desconhecida "termnal" (erro de digitação?)',
        ),
        # an unknown message
        (
            "    send: kept\n",
            "    send: kpt\n",
            "send: kpt",
            'a mensagem "kpt" não existe em messages',
        ),
        # a bad duration
        (
            "{after: 6h, to: handoff}",
            "{after: 6 hours, to: handoff}",
            "after: 6 hours",
            "escreva a duração como 24h, 30m ou 2d",
        ),
        # unknown condition
        (
            "confirm: {to: confirmed, do: confirm_appointment}\n      cancel: confirm_cancel\n      reschedule: reschedule\n    timeout: {after: 24h",
            "confirm: {to: confirmed, do: confirm_appointment, when: is_vip}\n      cancel: confirm_cancel\n      reschedule: reschedule\n    timeout: {after: 24h",
            "when: is_vip",
            'a condição "is_vip" não existe',
        ),
        # a YAML syntax error
        (
            "    description: Continua confirmada.\n    terminal: true",
            "    description: Continua confirmada.\n    terminal: true\n\tsend: closed",
            "\tsend: closed",
            "YAML",
        ),
        # a state's own example for an intent the state does not listen for
        (
            '    examples:  # só para "Você quer mesmo desmarcar?" (flows/README.md)\n',
            '    examples:  # só para "Você quer mesmo desmarcar?" (flows/README.md)\n'
            "      confirm:  # not here\n        - vou sim\n",
            "confirm:  # not here",
            'não espera o intent "confirm"',
        ),
        # the same reply given two intents among one state's own examples
        (
            "        - pode desmarcar  # plain\n",
            "        - pode desmarcar  # plain\n        - quero manter  # twice\n",
            "quero manter  # twice",
            'está em "no" e em "yes"',
        ),
        # a button label WhatsApp would refuse (over 20 characters)
        (
            "label: Manter consulta",
            "label: Manter a minha consulta marcada",
            "Manter a minha",
            "no máximo 20 caracteres",
        ),
    ],
)
def test_a_broken_copy_fails_at_the_right_line(old: str, new: str, at: str, message: str) -> None:
    assert old in GOOD
    broken = GOOD.replace(old, new, 1)
    found = problems(broken)
    expected = f"flows/broken.yaml:{line_of(broken, at)}:"
    assert any(p.startswith(expected) and message in p for p in found), found


def test_unreachable_and_dead_end_states() -> None:
    broken = GOOD.replace(
        "    terminal: true\n    later: after_confirmed\n  after_cancelled:\n",
        "    terminal: true\n    later: after_confirmed\n  forgotten:\n    send: closed\n"
        "  after_cancelled:\n",
    )
    found = problems(broken)
    line = line_of(broken, "  forgotten:")
    assert (
        f'flows/broken.yaml:{line}: o estado "forgotten" nunca é alcançado a partir de '
        '"awaiting_reply": leve algum estado até ele ou apague-o' in found
    )
    assert any(f":{line}:" in p and "não tem saída" in p for p in found)


def test_business_initiated_messages_need_a_template() -> None:
    # the second reminder goes out 24h after silence: free text would be refused by WhatsApp
    broken = GOOD.replace("    send: reminder_2\n", "    send: kept\n")
    line = broken.splitlines().index("  second_reminder:") + 3  # its "send:" line
    assert broken.splitlines()[line - 1] == "    send: kept"
    found = problems(broken)
    assert any(
        p.startswith(f"flows/broken.yaml:{line}:") and "janela de 24 horas" in p for p in found
    )


def test_a_duplicate_key_is_reported_where_it_repeats() -> None:
    broken = GOOD.replace(
        "  closed_quietly:\n", "  closed:\n    terminal: true\n  closed_quietly:\n"
    )
    lines = broken.splitlines()
    first, second = [n for n, line in enumerate(lines, 1) if line == "  closed:"][-2:]
    message = (
        f'flows/broken.yaml:{second}: chave "closed" repetida (a primeira está na linha {first})'
        ": deixe uma só"
    )
    assert message in problems(broken)


def test_not_a_mapping_and_empty() -> None:
    assert problems("") == ["flows/broken.yaml:1: o arquivo está vazio"]
    assert "um arquivo de fluxo é uma lista de chaves" in problems("- a\n- b\n")[0]


def test_load_flow_raises_with_every_problem() -> None:
    with pytest.raises(FlowError) as caught:
        load_flow(GOOD.replace("send: kept", "send: kpt"), "x.yaml")
    assert caught.value.problems[0].startswith("x.yaml:")


def test_yaml_1_1_booleans_stay_words() -> None:
    # "on:" and "no" are words in a flow, never the booleans YAML 1.1 would make of them
    result = check_flow(GOOD, "f.yaml")
    assert result.flow is not None
    assert "no" in result.flow.spec.intents
    assert result.flow.spec.states["kept"].on


@pytest.mark.parametrize(
    ("text", "seconds"), [("30m", 1800), ("24h", 86400), ("2d", 172800), ("90s", 90)]
)
def test_durations(text: str, seconds: int) -> None:
    assert parse_duration(text).total_seconds() == seconds


def test_schema_json_is_up_to_date() -> None:
    shipped = (ROOT / "flows/schema.json").read_text(encoding="utf-8")
    assert shipped == json_schema(), (
        "regenerate: python -c 'from bot.core.flow_spec import json_schema; ...'"
    )


def test_every_terminal_state_says_what_a_later_message_does() -> None:
    confirmed = "    send: confirmed\n    terminal: true\n"
    broken = GOOD.replace(f"{confirmed}    later: after_confirmed\n", confirmed, 1)
    line = line_of(broken, "  confirmed:")
    found = problems(broken)
    assert any(
        p.startswith(f"flows/broken.yaml:{line}:") and 'o estado final "confirmed"' in p
        for p in found
    ), found


def test_a_stored_version_without_later_still_loads() -> None:
    # Conversations pinned to a version written before the rule must still finish on it.
    ending = "    do: mark_no_response\n    terminal: true\n"
    old = GOOD.replace(f"{ending}    later: late_reply\n", ending, 1)
    assert old != GOOD
    assert check_flow(old, "stored", strict=False).flow is not None
    assert check_flow(old, "flows/confirmation.yaml").flow is None


def test_later_only_on_a_terminal_state() -> None:
    broken = GOOD.replace(
        "    timeout: {after: 24h, to: second_reminder}\n",
        "    timeout: {after: 24h, to: second_reminder}\n    later: handoff\n",
        1,
    )
    line = broken.splitlines().index("    later: handoff") + 1  # the first: awaiting_reply's
    found = problems(broken)
    assert any(p.startswith(f"flows/broken.yaml:{line}:") and "não é final" in p for p in found)


def test_a_plural_form_needs_its_own_template_when_the_message_has_one() -> None:
    broken = GOOD.replace(
        "      template:\n        content_sid: HX00000000000000000000000000000014\n"
        '        variables: {"1": appointment_phrase}\n',
        "",
        1,
    )
    line = line_of(broken, "Pronto, {appointment_phrase} foram desmarcadas") - 2  # "plural:"
    assert broken.splitlines()[line - 1] == "    plural:"
    found = problems(broken)
    assert any(p.startswith(f"flows/broken.yaml:{line}:") and "forma plural" in p for p in found)


def test_a_singular_verb_with_the_appointment_phrase_needs_a_plural_form() -> None:
    start = GOOD.index("    plural:\n      text: >-\n        Certo, {appointment_phrase} continuam")
    end = GOOD.index("  reschedule:\n", start)
    broken = GOOD[:start] + GOOD[end:]  # "kept" without its plural form
    line = line_of(broken, "Certo, {appointment_phrase} continua marcada")
    found = problems(broken)
    assert any(
        p.startswith(f"flows/broken.yaml:{line - 1}:") and '"continua" concorda' in p for p in found
    ), found


def test_one_run_reports_every_problem_of_a_file() -> None:
    # Five distinct mistakes: each is reported at its line, in words, with the fix.
    broken = (
        GOOD.replace("{after: 6h, to: handoff}", "{after: 6 hours, to: handoff}", 1)
        .replace(
            "    terminal: true\n    later: after_confirmed\n  reschedule:",
            "    terminal: true\n    termnal: true\n    later: after_confirmed\n  reschedule:",
            1,
        )
        .replace("      cancel: confirm_cancel\n", "      cancel: confirm_cancle\n", 1)
        .replace("  closed_quietly:\n", "  closed:\n    terminal: true\n  closed_quietly:\n", 1)
        .replace("Um momento!", "Um momento, {nome}!", 1)
    )
    closed = [n for n, line in enumerate(broken.splitlines(), 1) if line == "  closed:"]
    expected = [
        (line_of(broken, "{nome}"), 'a variável "{nome}" não existe'),
        (line_of(broken, "cancel: confirm_cancle"), 'o estado "confirm_cancle" não existe'),
        (line_of(broken, "after: 6 hours"), "escreva a duração como 24h, 30m ou 2d"),
        (line_of(broken, "termnal: true"), 'chave desconhecida "termnal"'),
        (closed[-1], f'chave "closed" repetida (a primeira está na linha {closed[-2]})'),
    ]
    found = problems(broken)
    for line, message in expected:
        assert any(p.startswith(f"flows/broken.yaml:{line}: ") and message in p for p in found), (
            line,
            message,
            found,
        )
    assert len(found) == len(expected), found  # nothing that only repeats one of them
    for english in ("Extra inputs", "should match pattern", "Input should", "unknown", "^"):
        assert not any(english in p for p in found), (english, found)


def test_a_message_missing_its_text_is_reported_once() -> None:
    # The message is left out of the later checks: no "unknown message" echo where it is sent.
    broken = GOOD.replace("  kept:\n    text: >-\n", "  kept:\n    txt: >-\n", 1)
    assert broken != GOOD
    found = problems(broken)
    assert found, found
    assert all("kept" in p and ("txt" in p or "text" in p) for p in found), found


@pytest.mark.parametrize(
    ("old", "new"),
    [
        # a free-text opt-out that stops at once
        ("    - {to: confirm_opt_out}\n", "    - {to: opted_out}\n"),
        # the question also reached, through a state that does not wait, by a plain confirmation
        (
            "      confirm: {to: confirmed, do: confirm_appointment}\n      cancel: confirm_cancel\n"
            "      reschedule: reschedule\n    timeout: {after: 24h",
            "      confirm: confirmed_opt_out\n      cancel: confirm_cancel\n"
            "      reschedule: reschedule\n    timeout: {after: 24h",
        ),
    ],
)
def test_an_opt_out_read_from_free_text_must_be_asked_about_first(old: str, new: str) -> None:
    assert GOOD.count(old) == 1
    found = problems(GOOD.replace(old, new))
    assert any("leva a opt_out sem pergunta de confirmação" in p for p in found), found
