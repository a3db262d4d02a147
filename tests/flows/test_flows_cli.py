"""The staff's commands, through click (digitaly flows ... / digitaly chat)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from bot.cli.flows import chat_command, flows_group
from bot.core.diagram import mermaid
from bot.core.flow_check import check_flow

ROOT = Path(__file__).resolve().parents[2]
FLOWS = ROOT / "flows"
FIXTURE = ROOT / "tests/data/replies/public.tsv"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_check_passes_on_the_shipped_flows(runner: CliRunner) -> None:
    result = runner.invoke(flows_group, ["check", str(FLOWS)])
    assert result.exit_code == 0, result.output
    assert "ok " in result.output
    assert "confirmation@" in result.output


def test_check_fails_on_a_broken_copy_with_line_numbers(runner: CliRunner, tmp_path: Path) -> None:
    broken = tmp_path / "confirmation.yaml"
    text = (FLOWS / "confirmation.yaml").read_text(encoding="utf-8")
    text = text.replace("    send: kept\n", "    send: kpet\n").replace(
        "Até lá!", "Até lá, {nome}!"
    )
    broken.write_text(text, encoding="utf-8")
    shutil.copy(FLOWS / "satisfaction.yaml", tmp_path)
    result = runner.invoke(flows_group, ["check", str(tmp_path)])
    assert result.exit_code == 1
    lines = text.splitlines()
    send_line = lines.index("    send: kpet") + 1
    text_line = lines.index("  confirmed:") + 1 + 1  # the "text:" key under the message
    assert f'{broken}:{send_line}: a mensagem "kpet" não existe em messages' in result.output
    assert f'{broken}:{text_line}: a variável "{{nome}}" não existe' in result.output
    assert "1 de 2 arquivo(s) de fluxo com problemas" in result.output


def test_classify_meets_the_figures_on_the_fixture(runner: CliRunner) -> None:
    rows = [
        line.split("\t")
        for line in FIXTURE.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    replies = "\n".join(text for text, _ in rows) + "\n"
    result = runner.invoke(
        flows_group, ["classify", "--flow", "confirmation", "--dir", str(FLOWS)], input=replies
    )
    assert result.exit_code == 0, result.output
    got = [line.split("\t")[0] for line in result.output.splitlines()]
    assert len(got) == len(rows)
    pairs = list(zip([want for _, want in rows], got, strict=True))
    wrong = [p for p in pairs if p[0] != p[1]]
    assert wrong == []  # the public fixture is read as people read it, every line
    assert not [p for p in pairs if set(p) == {"confirm", "cancel"}]
    assert not [p for p in pairs if p[1] == "opt_out" and p[0] != "opt_out"]


def test_classify_json_and_state(runner: CliRunner) -> None:
    args = [
        "classify",
        "--flow",
        "confirmation",
        "--dir",
        str(FLOWS),
        "--json",
        "--state",
        "confirm_cancel",
    ]
    result = runner.invoke(flows_group, args, input="sim\n2\n<empty>\n")
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in result.output.splitlines()]
    assert [r["intent"] for r in records] == ["yes", "no", "unknown"]
    assert records[1]["reason"] == 'menu number "2" -> no'
    assert [r["rule"] for r in records] == ["exact", "menu", "non_text"]
    assert all(0.0 <= r["confidence"] <= 1.0 for r in records)
    free = runner.invoke(
        flows_group,
        ["classify", "--flow", "confirmation", "--dir", str(FLOWS), "--json"],
        input="não vou conseguir ir amanhã, surgiu um imprevisto\n",
    )
    record = json.loads(free.output)
    assert (record["intent"], record["rule"]) == ("cancel", "model")
    assert 0.5 <= record["confidence"] <= 1.0
    assert record["cues"]  # what pushed it there, for staff
    bad = runner.invoke(
        flows_group, ["classify", "--flow", "confirmation", "--dir", str(FLOWS), "--state", "nope"]
    )
    assert bad.exit_code == 2


# Run alone, this test pays for compiling the flow (training its reply model, ~70 s on a
# loaded shared box); in the whole file an earlier test has done it.
@pytest.mark.timeout(180)
def test_diagram_prints_mermaid_and_writes_graphviz_svg(runner: CliRunner, tmp_path: Path) -> None:
    assert shutil.which("dot"), "Graphviz is missing: run `make test` (it installs it) as root"
    svg = tmp_path / "c.svg"
    args = [
        "diagram",
        "confirmation",
        "--dir",
        str(FLOWS),
        "--highlight",
        "kept",
        "--svg",
        str(svg),
    ]
    result = runner.invoke(flows_group, args)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("flowchart TD\n")
    assert '    s_awaiting_reply -->|"sem resposta em 24h"| s_second_reminder' in result.stdout
    assert "    class s_kept atual" in result.stdout
    assert (tmp_path / "c.mmd").read_text(encoding="utf-8") == result.stdout
    picture = svg.read_text(encoding="utf-8")
    assert "<svg" in picture
    assert picture.rstrip().endswith("</svg>")
    assert picture.count('class="node"') == 33  # 31 states, "Início", "Em qualquer pergunta"
    assert "O lembrete foi enviado;" in picture
    assert "sem resposta em 24h" in picture
    assert 'xlink:title="estado: awaiting_reply"' in picture  # the id on hover
    assert 'fill="#ffe082" stroke="#e65100"' in picture  # the highlighted state
    assert "awaiting_reply</text>" not in picture
    assert f"Desenho salvo em {svg}" in result.stderr


def test_diagram_without_graphviz_keeps_the_mermaid_text_and_says_so(
    runner: CliRunner, tmp_path: Path
) -> None:
    target = tmp_path / "out" / "c.svg"
    args = ["diagram", "satisfaction", "--dir", str(FLOWS), "--svg", str(target)]
    result = runner.invoke(flows_group, args, env={"PATH": str(tmp_path)})  # no dot there
    assert result.exit_code == 0, result.output
    assert not target.exists()
    assert (tmp_path / "out" / "c.mmd").read_text(encoding="utf-8") == result.stdout
    assert result.stderr.strip() == (
        f"Texto Mermaid salvo em {tmp_path / 'out' / 'c.mmd'}. O Graphviz não está instalado: "
        "para o SVG, instale-o (sudo apt-get install graphviz) e rode de novo, ou veja o "
        "desenho no console, aba Fluxos."
    )


def test_flows_test_runs_the_conversation_tests(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(flows_group, ["test", "--dir", str(FLOWS)])
    assert result.exit_code == 0, result.output
    assert "FALHOU" not in result.output
    assert result.output.count("ok ") >= 15
    shutil.copytree(FLOWS, tmp_path / "flows")
    failing = tmp_path / "flows/tests/confirmation.yaml"
    failing.write_text(
        failing.read_text(encoding="utf-8")
        .replace("state: confirmed", "state: kept", 1)
        .replace('says: "Rua Barão de Itapetininga"', 'says: "Rua Augusta"', 1),
        encoding="utf-8",
    )
    result = runner.invoke(flows_group, ["test", "--dir", str(tmp_path / "flows")])
    assert result.exit_code == 1
    assert "state: esperado 'kept', veio 'confirmed'" in result.output
    assert (
        "esperava uma mensagem com 'Rua Augusta'; enviadas: ['Presença confirmada" in result.output
    )


def test_chat_talks_to_a_flow(runner: CliRunner) -> None:
    result = runner.invoke(
        chat_command, ["confirmation", "--dir", str(FLOWS)], input="hã?\ndesmarcar\n1\n2\n"
    )
    assert result.exit_code == 0, result.output
    assert "bot: Olá, Maria!" in result.output
    assert "bot: Desculpe, não entendi." in result.output
    assert "(cancelamento registrado para o robô: a1)" in result.output
    assert result.output.rstrip().endswith("[conversa terminou em closed]")


def test_chat_explains_a_bad_wait_instead_of_a_traceback(runner: CliRunner) -> None:
    result = runner.invoke(
        chat_command, ["confirmation", "--dir", str(FLOWS)], input="/wait abc\n1\n"
    )
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    assert "[escreva a espera como 30m, 24h ou 2d: /wait 24h]" in result.output
    assert result.output.rstrip().endswith("[conversa terminou em confirmed]")


@pytest.mark.parametrize("name", ["confirmation", "satisfaction", "waitlist"])
def test_shipped_diagrams_are_up_to_date(name: str) -> None:
    flow = check_flow((FLOWS / f"{name}.yaml").read_text(encoding="utf-8")).flow
    assert flow is not None
    shipped = (FLOWS / "diagrams" / f"{name}.mmd").read_text(encoding="utf-8")
    assert shipped == mermaid(flow.spec), f"regenerate: digitaly flows diagram {name}"


EVALUATE = [
    "evaluate", "--flow", "confirmation", "--dir", str(FLOWS),
    "--context", "reschedule_offer=cancelled",
]  # fmt: skip


def _evaluate(runner: CliRunner, tmp_path: Path, cases: str, *options: str) -> Result:
    """``digitaly flows evaluate`` on a cases file holding ``cases`` (reply, label, category, context)."""
    path = tmp_path / "cases.tsv"
    path.write_text(cases, encoding="utf-8")
    return runner.invoke(flows_group, [*EVALUATE, str(path), *options])


def test_evaluate_prints_the_figures_and_passes_on_clear_replies(
    runner: CliRunner, tmp_path: Path
) -> None:
    cases = (
        "# a comment\n"
        "sim\tconfirm\tplain\treminder\n"
        "não vou poder ir\tcancel\tplain\treminder\n"
        "2\tno\tmenu_words\tcancel_question\n"
        "quero sim\tyes\tplain\treschedule_offer\n"
    )
    result = _evaluate(runner, tmp_path, cases, "--min-accuracy", "1")
    assert result.exit_code == 0, result.output
    assert "== reminder (estado awaiting_reply): 2 respostas, acerto 100.0 %" in result.output
    assert "matriz de confusão" in result.output
    assert "acerto por categoria:" in result.output
    assert "total: acerto 100.0 %, erros perigosos 0" in result.output


def test_evaluate_fails_on_a_dangerous_error_and_below_the_threshold(
    runner: CliRunner, tmp_path: Path
) -> None:
    # a label a person would never write: "sim" as a cancellation is a swap for the robot
    swapped = "sim\tcancel\tplain\treminder\nok\tconfirm\tplain\treminder\n"
    result = _evaluate(runner, tmp_path, swapped)
    assert result.exit_code == 1
    assert "PERIGOSO linha 1: 'sim': cancel -> confirm" in result.output
    unclear = "qual o endereço?\tconfirm\tplain\treminder\n"
    below = _evaluate(runner, tmp_path, unclear, "--min-accuracy", "0.5")
    assert below.exit_code == 1
    assert "acerto 0.0 %" in below.output


def test_evaluate_refuses_bad_files(runner: CliRunner, tmp_path: Path) -> None:
    result = _evaluate(runner, tmp_path, "sim\tconfirm\tplain\n")
    assert result.exit_code == 1
    assert "linha 1: esperava 4 colunas" in result.output
    result = _evaluate(runner, tmp_path, "sim\tconfirm\tplain\tnowhere\n")
    assert "o contexto 'nowhere' não é um estado nem uma mensagem" in result.output


# Scored once on 2026-12-01 before anything else was changed: accuracy 96.0 %, 8 dangerous
# errors (0 confirm<->cancel swaps, 0 false opt-outs; 6 unclear replies read as an answer,
# 1 yes<->no swap, 1 unclear read as "no"). The targets are 97 % and none: these bounds
# only stop the reading getting worse. Third round (the split is development data since the
# second was scored): 98.8 %, 3 dangerous; the bounds were tightened to that, less a point's
# margin on accuracy. Fourth round: 99.1 %, 1 dangerous; tightened again (as in `make unit`).
FROZEN_MIN_ACCURACY = "0.985"
FROZEN_MAX_DANGEROUS = "1"


def test_the_frozen_test_split_does_not_get_worse(runner: CliRunner) -> None:
    """The reply model on replies it never saw (tests/data/replies/test.tsv)."""
    split = ROOT / "tests/data/replies/test.tsv"
    args = [*EVALUATE, str(split), "--min-accuracy", FROZEN_MIN_ACCURACY]
    result = runner.invoke(flows_group, [*args, "--max-dangerous", FROZEN_MAX_DANGEROUS])
    # The bounds are the gate; the exact figure changes with every model and is not pinned
    # (the spent split is no target: tuning happens on dev.tsv).
    assert result.exit_code == 0, result.output


def test_check_lists_every_problem_of_a_file_at_once(runner: CliRunner, tmp_path: Path) -> None:
    broken = tmp_path / "confirmation.yaml"
    text = (
        (FLOWS / "confirmation.yaml")
        .read_text(encoding="utf-8")
        .replace("{after: 6h, to: handoff}", "{after: 6 horas, to: handoff}", 1)
        .replace("    send: kept\n", "    send: kpet\n", 1)
        .replace(
            "    terminal: true\n    later: after_confirmed\n",
            "    terminal: sim\n    later: after_confirmed\n",
            1,
        )
        .replace("  closed_quietly:\n", "  closed:\n    terminal: true\n  closed_quietly:\n", 1)
    )
    broken.write_text(text, encoding="utf-8")
    result = runner.invoke(flows_group, ["check", str(broken)])
    assert result.exit_code == 1
    lines = text.splitlines()

    def at(needle: str) -> int:
        return max(n for n, line in enumerate(lines, 1) if needle in line)

    expected = [
        f"{broken}:{at('after: 6 horas')}: states.confirm_cancel.timeout.after: escreva a "
        "duração como 24h, 30m ou 2d",
        f'{broken}:{at("send: kpet")}: a mensagem "kpet" não existe em messages',
        f"{broken}:{at('terminal: sim')}: states.confirmed.terminal: aqui vai true ou false",
        f'{broken}:{at("  closed:")}: chave "closed" repetida',
    ]
    for line in expected:
        assert line in result.output, (line, result.output)
    assert "Input should" not in result.output
    assert "pattern" not in result.output
