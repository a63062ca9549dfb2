"""Starting the workbench: ``salver gui [FILE] [--screenshot OUT.png]``."""

from __future__ import annotations

import argparse
import sys

from PySide6.QtWidgets import QApplication

from app.gui import settings, style


def application(argv: list[str] | None = None) -> QApplication:
    """The QApplication (created once) with Salver's names and style."""
    app = QApplication.instance()
    if app is None:
        app = QApplication(argv or [sys.argv[0]])
    assert isinstance(app, QApplication)
    app.setOrganizationName(settings.ORGANIZATION)
    app.setApplicationName(settings.APPLICATION)
    style.apply(app)
    return app


def run_gui(path: str | None = None, screenshot: str | None = None) -> int:
    """Open the workbench (with ``path``); with ``screenshot``, save a PNG of the window and return."""
    app = application()
    from app.gui.main_window import MainWindow

    window = MainWindow()
    if screenshot is not None:
        return _screenshot(window, path, screenshot)
    window.show()
    window.offer_recovery()
    if path:
        window.open_path(path)
    return app.exec()


def _screenshot(window, path: str | None, out: str) -> int:  # noqa: ANN001 - MainWindow
    from app.gui.runner import compile_and_run
    from app.gui.screenshot import SIZE, save_screenshot

    window.resize(*SIZE)
    if path:
        window.open_path(path, background=False)
        if window.document.model.elements:
            try:
                outcome = compile_and_run(window.document.model, [False])
                window.show_results(outcome)
                window.show_verdicts(outcome)
            except Exception as exc:  # a model that does not run is still worth a picture
                window.statusBar().showMessage(f"Run failed: {exc}")
    window.monitor.check_now()
    window.show()
    QApplication.processEvents()
    window.fit_diagram()
    ok = save_screenshot(window, out)
    window.document.undo_stack.setClean()
    window.close()
    return 0 if ok else 1


def main(argv: list[str] | None = None) -> int:
    """Command-line entry: ``[FILE] [--screenshot OUT.png]``."""
    parser = argparse.ArgumentParser(prog="salver gui", description="Open the Salver workbench.")
    parser.add_argument("file", nargs="?", help="model to open (.salver or any importable format)")
    parser.add_argument("--screenshot", metavar="OUT.png", help="save a screenshot of the window and exit")
    args = parser.parse_args(argv)
    return run_gui(args.file, args.screenshot)


if __name__ == "__main__":
    raise SystemExit(main())
