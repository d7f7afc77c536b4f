"""The `semh-desktop` console script: the domain's command line, plus the window when wanted.

Qt is imported only when the window is started, so commands such as `demo` or `handout` run
on machines (and in scripts) without a display.
"""

from __future__ import annotations

import sys
from pathlib import Path

from semh_desktop.cli import main as cli


def start_window(db: Path | None, passphrase_env: str | None, demo: bool) -> int:
    from ui.app.application import run

    return run(db=db, passphrase_env=passphrase_env, demo=demo)


def main() -> int:
    return cli.main(sys.argv[1:], start_window=start_window)


if __name__ == "__main__":
    raise SystemExit(main())
