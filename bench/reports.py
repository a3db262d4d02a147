"""Benchmark: the daily report of a 10,000-appointment day (time, peak memory, pages).

Wall time is noisy on a shared machine; CPU time is given too. Each figure
comes from a fresh child process, whose resident high-water mark (``VmHWM``) is
reset just before the build, so peak memory is the build's own. Baselines from the same run: the 1,000-appointment build (a
ratio near 10 means the build scales linearly), the CSV of the same day, and
the process's memory before the build. Run: ``python -m bench.reports``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

__all__ = ["run"]

_CHILD = r"""
import json, sys, time
from datetime import UTC, date, datetime
from reports.csv import render_csv
from reports.data import ReportKind, build_report
from reports.pdf import render_pdf
from reports.sample import SampleUnit, sample_day

count = int(sys.argv[1])
day = date(2026, 11, 30)
units = [SampleUnit("centro", "America/Sao_Paulo", "whatsapp:+5511930000001"),
         SampleUnit("paulista", "America/Sao_Paulo", "whatsapp:+5511930000002")]
data = sample_day(day, units, count)
render_pdf  # imported: fonts and modules loaded before the baseline


def status_mb(field):
    for line in open("/proc/self/status"):
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024


# Reset the high-water mark to what is resident now (Linux), so the peak read after the
# build is the build's own, not the sample data's generation.
with open("/proc/self/clear_refs", "w") as refs:
    refs.write("5")
before = status_mb("VmRSS")
started, cpu = time.perf_counter(), time.process_time()
report = build_report(
    data, kind=ReportKind.SUMMARY, day=day, clinic="Rede Digitaly de Clínicas",
    scope="Todas as unidades", unit=None, timezone="America/Sao_Paulo",
    unit_names={"centro": "Clínica Digitaly Centro", "paulista": "Clínica Digitaly Paulista"},
    generated_at=datetime(2026, 12, 1, 10, tzinfo=UTC),
)
built = time.perf_counter()
pdf = render_pdf(report)
rendered = time.perf_counter()
csv = render_csv(report)
done = time.perf_counter()
print(json.dumps({
    "model_s": built - started, "pdf_s": rendered - built, "csv_s": done - rendered,
    "total_s": done - started, "cpu_s": time.process_time() - cpu, "pages": pdf.pages, "pdf_bytes": len(pdf.data),
    "rss_before_mb": before, "rss_peak_mb": status_mb("VmHWM"),
}))
"""


def _child(count: int) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, str(count)], check=True, capture_output=True, text=True
    )
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def _row(figure: str, value: float, unit: str, baseline: float) -> dict[str, Any]:
    return {
        "figure": figure,
        "value": round(value, 3),
        "unit": unit,
        "baseline": round(baseline, 3),
        "ratio": round(value / baseline, 2) if baseline else None,
    }


def run() -> list[dict[str, Any]]:
    small, big = _child(1_000), _child(10_000)
    return [
        _row(
            "report 10,000 appts: build (model+PDF+CSV) vs 1,000",
            big["total_s"],
            "s",
            small["total_s"],
        ),
        _row("report 10,000 appts: build CPU time vs 1,000", big["cpu_s"], "s", small["cpu_s"]),
        _row("report 10,000 appts: PDF vs CSV of the same day", big["pdf_s"], "s", big["csv_s"]),
        _row(
            "report 10,000 appts: peak RSS vs before the build",
            big["rss_peak_mb"],
            "MB",
            big["rss_before_mb"],
        ),
        _row("report 10,000 appts: PDF pages vs 1,000", big["pages"], "pages", small["pages"]),
        _row(
            "report 10,000 appts: PDF size vs 1,000",
            big["pdf_bytes"] / 1e6,
            "MB",
            small["pdf_bytes"] / 1e6,
        ),
    ]


if __name__ == "__main__":
    for row in run():
        print(row)
