"""Render report sections as one self-contained HTML file, or Markdown with PNGs beside it."""

from __future__ import annotations

import base64
import io
import re
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from accord.report.build import ReportData
from accord.report.sections import Section, build_sections

__all__ = ["png_bytes", "render_html", "render_markdown"]


def png_bytes(fig: Figure, dpi: int = 110) -> bytes:
    """The figure as PNG bytes (Agg canvas; no global pyplot state)."""
    buffer = io.BytesIO()
    FigureCanvasAgg(fig)
    fig.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def render_html(data: ReportData) -> str:
    """One HTML file with every image embedded as a data URI."""
    from jinja2 import Environment

    from accord import __version__

    sections = build_sections(data)
    template_text = resources.files("accord.report").joinpath(
        "templates/report.html.j2").read_text(encoding="utf-8")
    env = Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True)
    views = [{"key": s.key, "title": s.title, "paragraphs": s.paragraphs, "tables": s.tables,
              "images": [{"name": name, "data": base64.b64encode(png_bytes(fig)).decode()}
                         for name, fig in s.figures]} for s in sections]
    return env.from_string(template_text).render(
        scenario=data.scenario, sections=views, version=__version__,
        generated=datetime.now(UTC).isoformat(timespec="seconds"))


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _md_section(s: Section, folder: Path, stem: str) -> list[str]:
    lines = [f"## {s.title}", ""]
    lines += [p + "\n" for p in s.paragraphs]
    for name, fig in s.figures:
        file = f"{stem}-{_slug(s.key)}-{_slug(name)}.png"
        (folder / file).write_bytes(png_bytes(fig))
        lines += [f"![{name}]({file})", ""]
    for t in s.tables:
        if t.caption:
            lines += [f"*{t.caption}*", ""]
        lines.append("| " + " | ".join(_md_cell(h) for h in t.header) + " |")
        lines.append("|" + "---|" * len(t.header))
        lines += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in t.rows]
        lines.append("")
    return lines


def render_markdown(data: ReportData, path: Path) -> str:
    """Markdown text for ``path``; the PNGs are written beside it (named after its stem)."""
    from accord import __version__

    folder = path.parent
    lines = [f"# {data.scenario.name}", "",
             f"accord {__version__} · scenario {data.scenario.id}", ""]
    for s in build_sections(data):
        lines += _md_section(s, folder, path.stem)
    return "\n".join(lines) + "\n"
