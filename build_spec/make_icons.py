"""Render resources/icons/app.svg into the bitmap icons the executables need.

Windows wants an .ico inside the .exe, macOS an .icns for the .app; both are made here from
the one SVG so that nothing binary is committed. Qt (already installed) draws the SVG and
Pillow (installed with reportlab) writes the .ico and .icns. Run by the spec; by hand:

    python build_spec/make_icons.py OUT_DIR
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SVG = ROOT / "resources" / "icons" / "app.svg"
SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


def render_pngs(out_dir: Path) -> dict[int, Path]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # no display needed to draw
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    app = QGuiApplication.instance() or QGuiApplication([])
    renderer = QSvgRenderer(str(SVG))
    if not renderer.isValid():
        raise SystemExit(f"make_icons: cannot read {SVG}")
    written: dict[int, Path] = {}
    for size in SIZES:
        image = QImage(size, size, QImage.Format.Format_ARGB32)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        renderer.render(painter)
        painter.end()
        path = out_dir / f"app-{size}.png"
        if not image.save(str(path), "PNG"):
            raise SystemExit(f"make_icons: could not write {path}")
        written[size] = path
    del app
    return written


def main(argv: list[str]) -> int:
    out_dir = Path(argv[0] if argv else ROOT / "build" / "icons").resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    pngs = render_pngs(out_dir)
    from PIL import Image

    largest = Image.open(pngs[max(SIZES)])
    ico_sizes = [(s, s) for s in SIZES if s <= 256]  # the .ico format stops at 256
    largest.save(out_dir / "app.ico", format="ICO", sizes=ico_sizes)
    largest.save(out_dir / "app.icns", format="ICNS")
    (out_dir / "app.png").write_bytes(pngs[256].read_bytes())
    print(f"make_icons: wrote app.ico, app.icns and app.png to {out_dir}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
