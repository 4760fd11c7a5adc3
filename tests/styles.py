"""Compile a .bib with a real citation style and read what prints (for test_bibtex_styles.py).

Four styles: plainnat, unsrtnat and IEEEtran (real ``bibtex``, then ``pdflatex``) and
biblatex's authoryear (real ``biber``, then ``pdflatex``). The document cites every entry
once (``\\citet``, ``\\cite`` or ``\\textcite``, after a marker ``@@C:key@@``) and prints the
bibliography with a marker ``@@B:key@@`` at each entry and ``@@N@@`` at each of BibTeX's
blocks (``\\newblock``); biblatex marks the title field with ``@@T@@``. The page is wide
enough that no entry breaks, and hyphenation is off, so ``pdftotext`` gives each piece
whole. One compile per style and test session, shared by the pytest-xdist workers.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from filelock import FileLock

STYLES = ("plainnat", "unsrtnat", "IEEEtran", "biblatex")
#: The styles that lower-case titles (sentence case) unless braced.
SENTENCE_CASE = ("plainnat", "unsrtnat", "IEEEtran")

_PREAMBLE = r"""\documentclass{article}
\usepackage[T1]{fontenc}
\usepackage[utf8]{inputenc}
\usepackage{url}
%(style)s
\pdfpagewidth=16000pt \pdfpageheight=16000pt \hoffset=-1in \voffset=-1in
\textwidth=15800pt \textheight=15800pt \oddsidemargin=100pt \topmargin=0pt \headheight=0pt \headsep=0pt
\makeatletter
%(hooks)s
\makeatother
\begin{document}
\raggedright \hyphenpenalty=10000 \exhyphenpenalty=10000 \parindent=0pt \pagestyle{empty}
"""

#: \bibitem with markers; thebibliography's \section* heading swallowed (its 14pt bold
#: font is not in cm-super-minimal, and it is not what is tested).
_BIBTEX_HOOKS = r"""\def\section#1#2{}
\let\atlas@bibitem\bibitem
\renewcommand{\bibitem}{\def\newblock{ @@N@@ }\@ifnextchar[{\atlas@lbib}{\atlas@bib}}
\def\atlas@lbib[#1]#2{\atlas@bibitem[#1]{#2}@@B:#2@@ }
\def\atlas@bib#1{\atlas@bibitem{#1}@@B:#1@@ }"""

_BIBLATEX_HOOKS = r"""\AtEveryBibitem{@@B:\thefield{entrykey}@@ }
\DeclareFieldFormat*{title}{@@T@@#1@@T@@}"""

_SETUPS = {
    "plainnat": (r"\usepackage[authoryear,round]{natbib}", _BIBTEX_HOOKS, r"\citet", r"\bibliographystyle{plainnat}\bibliography{refs}"),
    "unsrtnat": (r"\usepackage[authoryear,round]{natbib}", _BIBTEX_HOOKS, r"\citet", r"\bibliographystyle{unsrtnat}\bibliography{refs}"),
    "IEEEtran": ("", _BIBTEX_HOOKS, r"\cite", r"\bibliographystyle{IEEEtran}\bibliography{refs}"),
    "biblatex": (
        r"\usepackage[style=authoryear,backend=biber]{biblatex}\addbibresource{refs.bib}",
        _BIBLATEX_HOOKS,
        r"\textcite",
        r"\printbibliography[heading=none]",
    ),
}

_MARK = re.compile(r"@@([CB]):([a-z0-9]+)@@")


@dataclass
class Printed:
    """What one style made of a library."""

    style: str
    #: the .blg of bibtex or biber
    log: str
    #: pdflatex's log
    tex_log: str
    #: key -> the citation as printed
    citations: dict[str, str]
    #: key -> the bibliography entry as printed, whitespace collapsed
    entries: dict[str, str]
    #: keys in the bibliography's order
    order: list[str]

    def blocks(self, key: str) -> list[str]:
        """The entry's BibTeX blocks (bibtex styles): authors (or key), title, ..."""
        return [b.strip() for b in self.entries[key].split("@@N@@")]

    def title(self, key: str) -> str:
        """The title as printed, without the punctuation the style puts around it."""
        entry = self.entries[key]
        if self.style == "biblatex":
            return entry.split("@@T@@")[-2]  # the last marked field: a shorttitle may come first
        if self.style == "IEEEtran":
            found = re.search(r"“(.*?)[,.]?”", entry)
            assert found, entry
            return found[1]
        blocks = self.blocks(key)
        title = blocks[1] if len(blocks) > 1 else blocks[0]
        return re.sub(r"(, [A-Z][a-z]+ \d{4}[a-z]?|, \d{4}[a-z]?)?\.?$", "", title.split(". URL ")[0])

    def text(self, key: str) -> str:
        """The entry without the markers."""
        return " ".join(self.entries[key].replace("@@N@@", " ").replace("@@T@@", "").split())

    def citation(self, key: str) -> str:
        """The citation, without the letter natbib adds to tell equal labels apart ("2024b")."""
        return re.sub(r"(\d{4})[a-z]\)$", r"\1)", self.citations[key])


def _run(command: list[str], directory: Path) -> subprocess.CompletedProcess[str]:
    # No font generation: every font the documents use is a Type 1 font on disk.
    env = {**os.environ, "MKTEXPK": "0", "MKTEXTFM": "0", "MKTEXMF": "0"}
    return subprocess.run(command, cwd=directory, env=env, capture_output=True, text=True, timeout=600, errors="replace")


def compile_style(style: str, bib: str, keys: list[str], directory: Path) -> Printed:
    """Compile ``bib`` with ``style`` in ``directory``; what prints."""
    directory.mkdir(parents=True, exist_ok=True)
    use, hooks, cite, bibliography = _SETUPS[style]
    (directory / "refs.bib").write_text(bib, encoding="utf-8")
    body = "".join(f"@@C:{key}@@ {cite}{{{key}}}\\par\n" for key in keys)
    document = _PREAMBLE % {"style": use, "hooks": hooks} + body + "\\par\n" + bibliography + "\n\\end{document}\n"
    (directory / "doc.tex").write_text(document, encoding="utf-8")
    latex = ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "doc"]
    _run(latex, directory)
    backend = _run(["biber", "doc"] if style == "biblatex" else ["bibtex", "doc"], directory)
    assert backend.returncode in (0, 1, 2), backend.stdout + backend.stderr  # bibtex: 1 = warnings
    for _ in range(2):
        done = _run(latex, directory)
    tex_log = (directory / "doc.log").read_text(encoding="utf-8", errors="replace")
    assert done.returncode == 0, tex_log[-3000:]
    text = _run(["pdftotext", "-enc", "UTF-8", "doc.pdf", "-"], directory).stdout
    # LaTeX prints ' as a typographic apostrophe (a ligature of the font): read it back as '.
    text = " ".join(text.replace("’", "'").split())
    citations, entries, order = {}, {}, []
    marks = list(_MARK.finditer(text))
    for mark, following in zip(marks, marks[1:] + [None]):
        piece = text[mark.end() : following.start() if following else len(text)].strip()
        if mark[1] == "C":
            citations[mark[2]] = piece
        else:
            if style == "IEEEtran":
                piece = re.sub(r"\s*\[\d+\]$", "", piece)  # the next entry's number
            entries[mark[2]] = piece
            order.append(mark[2])
    log = (directory / "doc.blg").read_text(encoding="utf-8", errors="replace")
    return Printed(style, log, tex_log, citations, entries, order)


def printed(style: str, bib: str, keys: list[str], shared: Path) -> Printed:
    """:func:`compile_style`, once per style and library for all workers (``shared``: a
    directory they share), the result kept as JSON."""
    digest = hashlib.sha256((style + "\0" + bib + "\0" + " ".join(keys) + Path(__file__).read_text()).encode()).hexdigest()[:16]
    directory = shared / f"{style}-{digest}"
    result = shared / f"{style}-{digest}.json"
    with FileLock(str(result) + ".lock"):
        if not result.exists():
            done = compile_style(style, bib, keys, directory)
            result.write_text(json.dumps(done.__dict__), encoding="utf-8")
    return Printed(**json.loads(result.read_text(encoding="utf-8")))
