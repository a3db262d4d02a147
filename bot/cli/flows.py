"""Staff tools for flows: ``digitaly flows check|diagram|test|classify|evaluate``, ``digitaly chat``.

Registered on the root ``digitaly`` group as ``flows_group`` and ``chat_command``.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click

from bot.adapters.flow_files import check_file
from bot.cli.graphviz import GraphvizMissing, draw_svg
from bot.core.diagram import dot, mermaid
from bot.core.effects import Effect, HandOff, OptOut, RequestCancellation, SendMessage
from bot.core.engine import Step, start, step
from bot.core.evaluation import Report, evaluate, parse_cases, read_case, resolve_state
from bot.core.events import Reply, Timeout, Unit
from bot.core.flow_spec import parse_duration
from bot.core.flow_tests import parse_tests, run_tests
from bot.core.machine import CompiledFlow
from bot.core.model import Appointment, ConversationStatus

__all__ = ["chat_command", "flows_group"]

_DIR = click.option(
    "--dir",
    "directory",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("flows"),
    show_default=True,
    help="A pasta dos fluxos.",
)


def _load(directory: Path, name: str) -> CompiledFlow:
    path = directory / f"{name}.yaml"
    if not path.is_file():
        raise click.ClickException(f"não existe o arquivo de fluxo {path}")
    result = check_file(path)
    if result.flow is None:
        click.echo("\n".join(str(p) for p in result.problems), err=True)
        raise click.ClickException(f"{path} tem problemas: rode `digitaly flows check`")
    return result.flow


def _load_all(directory: Path) -> dict[str, CompiledFlow]:
    flows = {}
    for path in sorted(directory.glob("*.yaml")):
        result = check_file(path)
        if result.flow is not None:
            flows[result.flow.name] = result.flow
    return flows


@click.group("flows")
def flows_group() -> None:
    """Conferir, desenhar, testar e experimentar os fluxos de conversa (flows/*.yaml)."""


@flows_group.command("check")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path, exists=True))
def check_command(paths: tuple[Path, ...]) -> None:
    """Confere os arquivos de fluxo (padrão: flows/): cada problema como arquivo:linha:
    mensagem, todos de uma vez; sai com 1 se houver algum."""
    files: list[Path] = []
    for path in paths or (Path("flows"),):
        files += sorted(path.glob("*.yaml")) if path.is_dir() else [path]
    if not files:
        raise click.ClickException("nenhum arquivo de fluxo (*.yaml) encontrado")
    bad = 0
    for file in files:
        result = check_file(file)
        if result.flow is None:
            bad += 1
            click.echo("\n".join(str(p) for p in result.problems))
        else:
            click.echo(f"ok {file} ({result.flow.name}@{result.flow.version})", err=True)
    if bad:
        click.echo(f"{bad} de {len(files)} arquivo(s) de fluxo com problemas", err=True)
        sys.exit(1)


@flows_group.command("diagram")
@click.argument("name")
@_DIR
@click.option("--highlight", metavar="ESTADO", help="Desenha este estado em destaque.")
@click.option(
    "--svg",
    "svg_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Onde gravar a figura SVG [padrão: <dir>/diagrams/NOME.svg]; "
    "o texto Mermaid vai ao lado, como NOME.mmd.",
)
def diagram_command(
    name: str, directory: Path, highlight: str | None, svg_path: Path | None
) -> None:
    """Mostra o fluxo como texto Mermaid; grava-o como .mmd, e como SVG quando o Graphviz está instalado."""
    flow = _load(directory, name)
    if highlight is not None and highlight not in flow.spec.states:
        raise click.BadParameter(
            f"o fluxo {name} não tem o estado {highlight!r}", param_hint="--highlight"
        )
    text = mermaid(flow.spec, highlight)
    click.echo(text, nl=False)
    target = svg_path or directory / "diagrams" / f"{name}.svg"
    target.parent.mkdir(parents=True, exist_ok=True)
    source = target.with_suffix(".mmd")
    source.write_text(text, encoding="utf-8")
    try:
        picture = draw_svg(dot(flow.spec, highlight))
    except GraphvizMissing:
        click.echo(
            f"Texto Mermaid salvo em {source}. O Graphviz não está instalado: para o SVG, "
            "instale-o (sudo apt-get install graphviz) e rode de novo, ou veja o desenho "
            "no console, aba Fluxos.",
            err=True,
        )
        return
    target.write_text(picture, encoding="utf-8")
    click.echo(f"Desenho salvo em {target} (e o texto Mermaid em {source}).", err=True)


@flows_group.command("test")
@_DIR
def test_command(directory: Path) -> None:
    """Roda os testes de conversa de <dir>/tests/*.yaml; sai com 1 se algum falhar."""
    flows = _load_all(directory)
    files = sorted((directory / "tests").glob("*.yaml"))
    failed = total = 0
    for file in files:
        try:
            tests = parse_tests(file.read_text(encoding="utf-8"))
        except ValueError as error:
            click.echo(f"{file}: {error}")
            failed += 1
            continue
        for outcome in run_tests(tests, flows):
            total += 1
            click.echo(f"{'ok' if outcome.passed else 'FALHOU'} {file.name}: {outcome.name}")
            for failure in outcome.failures:
                click.echo(f"    {failure}")
            failed += not outcome.passed
    click.echo(f"{total - failed} passaram, {failed} falharam", err=True)
    if failed or not total:
        sys.exit(1)


def _unescape(line: str) -> str:
    return "" if line == "<empty>" else line.replace("\\n", "\n")


@flows_group.command("classify")
@click.option("--flow", "name", required=True, help="Fluxo cujo entendimento usar.")
@click.option("--state", help="Estado em que ler [padrão: onde o fluxo espera primeiro].")
@click.option("--json", "as_json", is_flag=True, help="Um objeto JSON por linha.")
@_DIR
def classify_command(name: str, state: str | None, as_json: bool, directory: Path) -> None:
    """Lê respostas da entrada (uma por linha; \\n = quebra de linha, <empty> = vazia) e diz
    o que cada uma quer dizer, com a regra, o motivo e a confiança."""
    flow = _load(directory, name)
    state = state or flow.waiting_state
    if state not in flow.spec.states:
        raise click.BadParameter(f"o fluxo {name} não tem o estado {state!r}", param_hint="--state")
    model = flow.understanding.model_for(flow.accepted[state], state)
    for raw in sys.stdin:
        text = _unescape(raw.rstrip("\r\n"))
        decision = read_case(flow, state, text)
        confidence = round(decision.confidence, 3)
        if as_json:
            record: dict[str, object] = {
                "intent": decision.intent, "rule": decision.rule, "reason": decision.reason,
                "confidence": confidence,
            }  # fmt: skip
            if model is not None and decision.rule == "model" and decision.intent != "unknown":
                record["cues"] = model.cues(text, decision.intent)
            click.echo(json.dumps(record, ensure_ascii=False))
        else:
            click.echo(f"{decision.intent}\t{confidence:.2f}\t{decision.rule}\t{decision.reason}")


def _percent(value: float) -> str:
    return f"{100 * value:.1f} %"


def _print_report(report: Report, show_misses: bool) -> None:
    for score in report.contexts.values():
        click.echo(
            f"\n== {score.context} (estado {score.state}): {score.total} respostas, "
            f"acerto {_percent(score.accuracy)}, "
            f"'não entendi' em respostas claras {_percent(score.unknown_rate)}, "
            f"erros perigosos {len(score.dangerous)}"
        )
        labels = sorted({k for pair in score.confusion for k in pair})
        width = max(len(x) for x in [*labels, "pessoa \\ robô"]) + 1
        click.echo("matriz de confusão (linha: o que a pessoa leu; coluna: o que o robô leu)")
        click.echo("pessoa \\ robô".ljust(width) + "".join(x.rjust(width) for x in labels))
        for row in labels:
            counts = "".join(str(score.confusion[(row, c)]).rjust(width) for c in labels)
            click.echo(row.ljust(width) + counts)
        click.echo("acerto por categoria:")
        for category, (right, total) in sorted(score.categories.items()):
            click.echo(f"  {category:<20} {_percent(right / total):>8}  ({right}/{total})")
        misses = score.misses if show_misses else score.dangerous
        if misses:
            click.echo("erros perigosos:" if not show_misses else "erros:")
        for miss in misses:
            mark = "PERIGOSO " if miss.dangerous else ""
            click.echo(
                f"  {mark}linha {miss.case.line}: {miss.case.text!r}: {miss.case.intent} -> "
                f"{miss.read} ({miss.confidence:.2f}, {miss.case.category})"
            )


@flows_group.command("evaluate")
@click.argument("file", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.option("--flow", "name", default="confirmation", show_default=True, help="Fluxo a avaliar.")
@click.option(
    "--context",
    "aliases",
    multiple=True,
    metavar="NOME=ESTADO",
    help="Em que estado ler as respostas de um contexto (padrão: o estado ou a mensagem "
    "com esse nome).",
)
@click.option("--min-accuracy", type=click.FloatRange(0, 1), default=0.0, help="Ex.: 0.97.")
@click.option(
    "--max-dangerous",
    type=click.IntRange(0),
    default=0,
    show_default=True,
    help="Erros perigosos tolerados (a meta é 0; um número maior só serve de trava contra piora).",
)
@click.option("--errors", "show_misses", is_flag=True, help="Mostrar todos os erros.")
@_DIR
def evaluate_command(
    file: Path,
    name: str,
    aliases: tuple[str, ...],
    min_accuracy: float,
    max_dangerous: int,
    show_misses: bool,
    directory: Path,
) -> None:
    """Mede o entendimento do fluxo num arquivo de respostas rotuladas (TSV: resposta, intent,
    categoria, contexto). Sai com 1 abaixo de --min-accuracy ou com mais erros perigosos que
    --max-dangerous (padrão: nenhum)."""
    flow = _load(directory, name)
    cases, problems = parse_cases(file.read_text(encoding="utf-8"))
    if problems:
        raise click.ClickException(f"{file}: " + "; ".join(problems))
    mapping: dict[str, str] = {}
    for alias in aliases:
        context, sep, state = alias.partition("=")
        if not sep:
            raise click.BadParameter(f"escreva NOME=ESTADO, não {alias!r}", param_hint="--context")
        mapping[context] = state
    states: dict[str, str] = {}
    for context in sorted({c.context for c in cases}):
        found = resolve_state(flow, context, mapping)
        if found is None:
            raise click.ClickException(
                f"{file}: o contexto {context!r} não é um estado nem uma mensagem de {name}: "
                f"use --context {context}=ESTADO"
            )
        states[context] = found
    report = evaluate(flow, cases, states)
    click.echo(f"fluxo {flow.name}@{flow.version}, {file}: {report.total} respostas")
    _print_report(report, show_misses)
    dangerous = len(report.dangerous)
    click.echo(
        f"\ntotal: acerto {_percent(report.accuracy)}, erros perigosos {dangerous}"
        + (f" (mínimo pedido {_percent(min_accuracy)})" if min_accuracy else "")
    )
    if dangerous > max_dangerous or report.accuracy < min_accuracy:
        sys.exit(1)


def _describe(effect: Effect) -> str:
    if isinstance(effect, SendMessage):
        buttons = "  ".join(f"[{label}]" for _, label in effect.buttons)
        return f"bot: {effect.text}" + (f"\n     {buttons}" if buttons else "")
    if isinstance(effect, HandOff):
        return f"  (passada para uma pessoa: {effect.reason})"
    if isinstance(effect, RequestCancellation):
        return f"  (cancelamento registrado para o robô: {effect.appointment_id})"
    if isinstance(effect, OptOut):
        return "  (opted out)"
    values = ", ".join(str(getattr(effect, f.name)) for f in dataclasses.fields(effect))
    return f"  ({type(effect).__name__}: {values})"


def _show(result: Step, verbose: bool) -> None:
    if verbose and result.decision is not None:
        click.echo(f"  [{result.decision.intent}: {result.decision.reason}]")
    for effect in result.effects:
        click.echo(_describe(effect))
    click.echo(f"  [estado: {result.conversation.state}]")


@click.command("chat")
@click.argument("name")
@_DIR
@click.option("--patient", default="Maria da Silva", show_default=True, help="O nome do paciente.")
@click.option("--doctor", default="Dra. Ana Souza", show_default=True, help="O nome do médico.")
@click.option("--verbose/--quiet", default=True, help="Mostra por que cada resposta foi entendida.")
def chat_command(name: str, directory: Path, patient: str, doctor: str, verbose: bool) -> None:
    """Conversa com um fluxo no terminal: /wait 24h, /button ID, /media, /quit."""
    flow = _load(directory, name)
    now = datetime.now(UTC)
    appointment = Appointment(
        "a1", "ext1", patient, "+5511987654321", now + timedelta(days=1), doctor, "centro"
    )
    unit = Unit("Clínica Digitaly Centro", "Rua Barão de Itapetininga, 120 - São Paulo")
    result = start(
        flow, conversation_id="chat", phone=appointment.phone, appointments=[appointment],
        unit=unit, now=now,
    )  # fmt: skip
    _show(result, verbose)
    n = 0
    for raw in sys.stdin:
        conversation = result.conversation
        if conversation.status != ConversationStatus.ACTIVE:
            break
        line, n = raw.rstrip("\r\n"), n + 1
        if line == "/quit":
            break
        if line.startswith("/wait"):
            try:
                now += parse_duration(line.removeprefix("/wait").strip() or "1h")
            except ValueError:
                click.echo("  [escreva a espera como 30m, 24h ou 2d: /wait 24h]")
                continue
            due = conversation.timeout_at
            if due is None or due > now:
                click.echo("  [nada acontece]")
                continue
            result = step(flow, conversation, Timeout(due), now)
        else:
            now += timedelta(seconds=30)
            reply = Reply(f"m{n}", now, _unescape(line))
            if line.startswith("/button "):
                reply = Reply(f"m{n}", now, button_id=line.removeprefix("/button ").strip())
            elif line == "/media":
                reply = Reply(f"m{n}", now, media_count=1)
            result = step(flow, conversation, reply, now)
        _show(result, verbose)
    click.echo(f"[conversa terminou em {result.conversation.state}]")
