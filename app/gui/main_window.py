"""The main window: diagram tabs, docks, menus, toolbar, status bar; wires the document to them."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QByteArray, QEvent, QObject, QPoint, Qt
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QCursor, QKeySequence
from PySide6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QSplitter,
    QWidget,
)

from app.gui import (
    autosave,
    block_layout,
    block_views,
    clipboard,
    context_menu,
    deletion,
    sd_layout,
    settings,
    style,
    workers,
)
from app.gui.diagnostics import DiagnosticsMonitor
from app.gui.docks import structure
from app.gui.docks.browser import ModelBrowser
from app.gui.docks.plots import PlotPanel, save_image
from app.gui.docks.problems import ProblemsPanel
from app.gui.docks.properties import PropertiesPanel
from app.gui.docks.requirements import RequirementsPanel, verdict_text
from app.gui.docks.run_settings import RunSettingsPanel
from app.gui.document import Document, new_model
from app.gui.editor import DiagramTabs
from app.gui.guard import guarded
from app.gui.live import LivePanel, LiveSession
from app.gui.report_dialog import ImportReportDialog
from app.gui.runner import RunController, RunOutcome
from metamodel import io
from metamodel.commands import AddView, Macro
from metamodel.elements import Block, Module, Part, Requirement, Stock, Variable
from metamodel.errors import SalverError

NATIVE_FILTER = "Salver models (*.salver)"
XMILE_FILTER = "XMILE, for Stella and Vensim (*.xmile *.stmx)"
PALETTE = [("select", "Select", "select"), ("stock", "Stock", "stock"), ("flow", "Flow", "flow"),
           ("aux", "Variable", "aux"), ("parameter", "Parameter", "parameter"), ("link", "Link", "link"),
           ("note", "Note", "note"), ("block", "Block", "block"), ("port", "Port", "port"),
           ("connector", "Connector", "connector")]
SEVERITY_MARKS = {"error": "✖", "warning": "⚠", "info": "ℹ"}


def import_filter() -> str:
    """The open dialog's filter: every extension an importer reads."""
    from importers import supported_extensions

    patterns = " ".join(f"*{ext}" for ext in supported_extensions())
    return f"Models ({patterns});;All files (*)"


class ToolLock(QObject):
    """A double-click on a palette button keeps its tool active after each placement."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window

    @guarded(lambda _self, _watched, _event: False)
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        mode = watched.property("salver_mode")
        if event.type() == QEvent.Type.MouseButtonDblClick and mode:
            self.window.set_mode(mode, sticky=True)
            return True
        return False


class MainWindow(QMainWindow):
    """The Salver workbench window for one document at a time."""

    def __init__(self, parent: QWidget | None = None, autosave_ms: int = autosave.INTERVAL_MS) -> None:
        super().__init__(parent)
        self.setObjectName("SalverMainWindow")
        self.document: Document | None = None
        self.messages: list[str] = []
        self.report_dialog: ImportReportDialog | None = None
        self._open_serial = 0  # counts opens and new files: only the latest one's outcome is shown
        self.live_session: LiveSession | None = None
        self.tabs = DiagramTabs()
        self.setCentralWidget(self.tabs)
        self.browser = ModelBrowser()
        self.properties = PropertiesPanel()
        self.problems = ProblemsPanel()
        self.requirements = RequirementsPanel()
        self.run_settings = RunSettingsPanel()
        self.plots = PlotPanel()
        self.live = LivePanel()
        self.monitor = DiagnosticsMonitor(self)
        self.runner = RunController(self)
        self.autosaver = autosave.Autosaver(lambda: self.document, autosave_ms, self)
        self.recovered_windows: list[MainWindow] = []
        self._build_docks()
        structure.install(self)
        self._build_actions()
        self._build_menus()
        self._build_toolbars()
        self.problem_label = QLabel()
        self.statusBar().addPermanentWidget(self.problem_label)
        self._wire()
        self.set_document(Document(new_model()))
        self._restore_state()

    # -- construction -------------------------------------------------------------------------------
    def _dock(self, title: str, name: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        return dock

    def _build_docks(self) -> None:
        left, right, bottom = (Qt.DockWidgetArea.LeftDockWidgetArea, Qt.DockWidgetArea.RightDockWidgetArea,
                               Qt.DockWidgetArea.BottomDockWidgetArea)
        self.browser_dock = self._dock("Model", "browser", self.browser, left)
        self.properties_dock = self._dock("Properties", "properties", self.properties, right)
        self.run_dock = self._dock("Run", "run", self.run_settings, left)
        # live sliders sit beside the plot (as in SyntheSim), so the curves stay in view while sliding
        self.results_split = QSplitter(Qt.Orientation.Horizontal)
        self.results_split.setChildrenCollapsible(False)
        self.results_split.addWidget(self.plots)
        self.results_split.addWidget(self.live)
        self.results_split.setStretchFactor(0, 3)
        self.results_split.setStretchFactor(1, 1)
        self.results_split.setSizes([900, 340])
        self.plots_dock = self._dock("Results and live sliders", "plots", self.results_split, bottom)
        self.problems_dock = self._dock("Problems", "problems", self.problems, bottom)
        self.splitDockWidget(self.plots_dock, self.problems_dock, Qt.Orientation.Horizontal)
        self.requirements_dock = self._dock("Requirements", "requirements", self.requirements, bottom)
        self.tabifyDockWidget(self.problems_dock, self.requirements_dock)
        self.problems_dock.raise_()

    def _action(self, text: str, slot, shortcut: QKeySequence.StandardKey | str | None = None,  # noqa: ANN001
                icon: str | None = None) -> QAction:
        action = QAction(text, self)
        if isinstance(shortcut, QKeySequence.StandardKey):
            action.setShortcuts(shortcut)  # every platform binding (Redo: Ctrl+Y and Ctrl+Shift+Z)
        elif shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        if icon:
            action.setIcon(style.icon(icon))
        action.triggered.connect(lambda _checked=False: slot())
        return action

    def _build_actions(self) -> None:
        std = QKeySequence.StandardKey
        self.act_new = self._action("&New", self.new_file, std.New)
        self.act_open = self._action("&Open…", self.open_dialog, std.Open)
        self.act_import = self._action("&Import…", self.import_dialog, "Ctrl+I")
        self.act_save = self._action("&Save", self.save, std.Save)
        self.act_save_as = self._action("Save &As…", self.save_as, std.SaveAs)
        self.act_quit = self._action("&Quit", self.close, std.Quit)
        self.act_undo = self._action("&Undo", lambda: self.document and self.document.undo_stack.undo(), std.Undo)
        self.act_redo = self._action("&Redo", lambda: self.document and self.document.undo_stack.redo(), std.Redo)
        self.act_cut = self._action("Cu&t", self.cut, std.Cut)
        self.act_copy = self._action("&Copy", self.copy, std.Copy)
        self.act_paste = self._action("&Paste", self.paste, std.Paste)
        self.act_delete = self._action("&Delete…", self.delete_selection, std.Delete)
        self.act_remove = self._action("&Remove from Diagram", lambda: self.delete_selection(deletion.FROM_VIEW),
                                       "Ctrl+Shift+Delete")
        self.act_select_all = self._action("Select &All", self.select_all, std.SelectAll)
        self.act_find = self._action("&Find…", self.find, std.Find)
        self.act_zoom_in = self._action("Zoom &In", lambda: self._view_call("zoom_in"), std.ZoomIn)
        self.act_zoom_out = self._action("Zoom &Out", lambda: self._view_call("zoom_out"), std.ZoomOut)
        self.act_zoom_fit = self._action("Zoom to &Fit", lambda: self._view_call("zoom_fit"), "Ctrl+0")
        self.act_new_block_view = self._action("New &Block Diagram", self.new_block_view)
        self.act_arrange = self._action("&Arrange Blocks", self.arrange, "Ctrl+L", "arrange")
        self.act_arrange.setToolTip("Lay out the block diagram automatically (a new block diagram when none is open)")
        self.act_run = self._action("&Run", self.run_model, "Ctrl+R", "run")
        self.act_stop = self._action("S&top", self.runner.stop, "Ctrl+.", "stop")
        self.act_stop.setEnabled(False)
        self.act_export_csv = self._action("Results as &CSV…", lambda: self.export_dialog("csv"))
        self.act_export_png = self._action("Plot as &PNG…", lambda: self.export_dialog("png"))
        self.act_export_svg = self._action("Plot as &SVG…", lambda: self.export_dialog("svg"))
        self.act_export_diagram = self._action("Diagram as P&NG…", self.export_diagram_dialog)
        self.mode_group = QActionGroup(self)
        self.mode_actions: dict[str, QAction] = {}
        for mode, text, icon_name in PALETTE:
            action = QAction(style.icon(icon_name), text, self)
            action.setCheckable(True)
            action.setToolTip(f"{text} tool")
            action.triggered.connect(lambda _c=False, m=mode: self.set_mode(m))
            self.mode_group.addAction(action)
            self.mode_actions[mode] = action
        self.mode_actions["select"].setChecked(True)

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        file_menu.addActions([self.act_new, self.act_open, self.act_import])
        self.recent_menu = file_menu.addMenu("Open &Recent")
        file_menu.addSeparator()
        file_menu.addActions([self.act_save, self.act_save_as])
        export_menu = file_menu.addMenu("&Export")
        export_menu.addActions([self.act_export_csv, self.act_export_png, self.act_export_svg,
                                self.act_export_diagram])
        file_menu.addSeparator()
        file_menu.addAction(self.act_quit)
        edit = bar.addMenu("&Edit")
        edit.addActions([self.act_undo, self.act_redo])
        edit.addSeparator()
        edit.addActions([self.act_cut, self.act_copy, self.act_paste, self.act_delete, self.act_remove])
        edit.addSeparator()
        edit.addActions([self.act_select_all, self.act_find])
        view = bar.addMenu("&View")
        view.addActions([self.act_zoom_in, self.act_zoom_out, self.act_zoom_fit, self.act_new_block_view,
                          self.act_arrange])
        view.addSeparator()
        for dock in (self.browser_dock, self.properties_dock, self.run_dock, self.plots_dock, self.problems_dock,
                     *self.structure.docks, self.requirements_dock):
            view.addAction(dock.toggleViewAction())
        model = bar.addMenu("&Model")
        model.addActions([self.act_run, self.act_stop])
        self.help_menu = bar.addMenu("&Help")
        self.help_menu.addAction(self._action("&Function Reference", self.show_function_reference, "F1"))
        model.addAction(self._action("&Sensitivity…", self.sensitivity_dialog))
        self._fill_recent_menu()

    def _build_toolbars(self) -> None:
        palette = self.addToolBar("Palette")
        palette.setObjectName("palette")
        palette.addActions(self.mode_group.actions())
        palette.addSeparator()
        palette.addAction(self.act_arrange)
        palette.addActions([self.act_run, self.act_stop])
        palette.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self._lock_filter = ToolLock(self)
        for mode, action in self.mode_actions.items():
            button = palette.widgetForAction(action)
            button.setProperty("salver_mode", mode)
            button.installEventFilter(self._lock_filter)
            action.setToolTip(f"{action.text()} tool (double-click, or hold Shift while placing, to keep it)")

    def _wire(self) -> None:
        self.tabs.sigSelection.connect(self._selection_changed)
        self.tabs.sigStatus.connect(lambda text: self.statusBar().showMessage(text, 5000))
        self.tabs.sigModeEnded.connect(lambda: self.mode_actions["select"].setChecked(True))
        self.tabs.sigContextMenu.connect(self._context_menu)
        self.tabs.sigOpen.connect(self.open_element)
        self.browser.sigActivated.connect(self.show_element)
        self.browser.sigOpenView.connect(self.open_view)
        self.problems.sigActivated.connect(self.show_element)
        self.requirements.sigActivated.connect(self.show_element)
        self.monitor.sigDiagnostics.connect(self._diagnostics)
        self.monitor.sigFailed.connect(lambda text: self.statusBar().showMessage(text, 8000))
        self.autosaver.sigFailed.connect(lambda text: self.statusBar().showMessage(text, 15000))
        self.run_settings.sigRun.connect(self.run_model)
        self.run_settings.sigStop.connect(self.runner.stop)
        self.runner.sigStarted.connect(lambda: self._running(True, "Running…"))
        self.runner.sigFinished.connect(self._run_finished)
        self.runner.sigFailed.connect(self._run_failed)
        self.plots.sigExport.connect(self.export_dialog)
        self.live.sigKeep.connect(self.plots.keep_latest)

    # -- document -----------------------------------------------------------------------------------
    def set_document(self, document: Document) -> None:
        """Show ``document`` in every part of the window; the document shown before is dropped once the
        new one is in place (and shown again if that fails)."""
        previous = self.document
        try:
            self._install(document)
        except Exception:
            if previous is not None and previous is not document:
                self._install(previous)
            raise
        if previous is not None and previous is not document:
            previous.close()
            previous.deleteLater()

    def _install(self, document: Document) -> None:
        self.document = document
        document.setParent(self)
        self.tabs.set_document(document)
        if any(True for _r in document.model.of_kind(Requirement)):
            self.requirements_dock.show()
        for panel in (self.browser, self.properties, self.run_settings, self.monitor, self.structure):
            panel.set_document(document)
        self.plots.clear()
        self.requirements.clear()
        self.live_session = None
        document.undo_stack.cleanChanged.connect(self._update_title, Qt.ConnectionType.UniqueConnection)
        document.undo_stack.canUndoChanged.connect(self.act_undo.setEnabled, Qt.ConnectionType.UniqueConnection)
        document.undo_stack.canRedoChanged.connect(self.act_redo.setEnabled, Qt.ConnectionType.UniqueConnection)
        self.autosaver.watch(document)
        self.act_undo.setEnabled(document.undo_stack.canUndo())
        self.act_redo.setEnabled(document.undo_stack.canRedo())
        self._update_title()

    def _update_title(self, *_clean: bool) -> None:
        if self.document is not None:
            self.setWindowTitle(f"{self.document.title}[*] — Salver")
            self.setWindowModified(self.document.modified)

    def maybe_save(self) -> bool:
        """Ask about unsaved changes (typed fields applied first); True when the caller may drop the
        document."""
        self.properties.commit_pending()
        if self.document is None or not self.document.modified:
            return True
        answer = QMessageBox.question(
            self, "Unsaved changes", f"Save the changes to {self.document.title}?",
            QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Save)
        if answer == QMessageBox.StandardButton.Save:
            return self.save()
        return answer == QMessageBox.StandardButton.Discard

    def new_file(self) -> None:
        if self.maybe_save():
            self._open_serial += 1  # an open still loading no longer replaces the new model
            self.set_document(Document(new_model()))

    def open_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open model", "", import_filter())
        if path:
            self.open_path(path)

    def import_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Import model", "", import_filter())
        if path:
            self.open_path(path)

    def open_path(self, path: str, background: bool = True) -> None:
        """Open any file Salver reads (imports run off the GUI thread); any failure is shown in a dialog
        and leaves the window as it was."""
        if not self.maybe_save():
            return
        from importers import load

        self.statusBar().showMessage(f"Opening {path}…")
        self._open_serial += 1
        if background:
            serial, mark = self._open_serial, self._edit_mark()
            workers.submit(lambda: load(path), lambda loaded: self._loaded(serial, mark, path, *loaded),
                           lambda exc: self._load_failed(serial, path, exc), self)
            return
        try:
            model, report = load(path)
        except Exception as exc:  # any failure of a reader is the user's to see, not a traceback
            self._open_failed(path, exc)
            return
        self._opened(path, model, report)

    def _edit_mark(self) -> tuple[Document | None, int]:
        """What tells whether the document was edited since: the document and its undo position."""
        return (self.document, self.document.undo_stack.index() if self.document is not None else 0)

    def _loaded(self, serial: int, mark: tuple[Document | None, int], path: str, model, report) -> None:  # noqa: ANN001
        """Show a model loaded in the background, unless another open or a new file came after it, or
        the user keeps the edits made while it loaded."""
        if serial != self._open_serial:
            return
        document, position = self._edit_mark()
        edited = document is not mark[0] or position != mark[1]
        if edited and not self.maybe_save():  # edits made while it loaded are asked about, never dropped
            self.statusBar().showMessage(f"Kept the model being edited; {path} was not opened", 5000)
            return
        self._opened(path, model, report)

    def _load_failed(self, serial: int, path: str, exc: BaseException) -> None:
        if serial == self._open_serial:  # the failure of an open that was superseded is not shown
            self._open_failed(path, exc)

    def _open_failed(self, path: str, exc: BaseException) -> None:
        kind = "" if isinstance(exc, SalverError) else f"{type(exc).__name__}: "
        self.show_error("Cannot open file", f"{path}\n\n{kind}{exc}")

    def _opened(self, path: str, model, report) -> None:  # noqa: ANN001 - Model, ImportReport
        previous = self.document
        try:
            self._show_opened(path, model, report)
        except Exception as exc:  # a model the workbench cannot show: the session stays as it was
            if previous is not None and self.document is not previous:
                self.set_document(previous)
            self._open_failed(path, exc)

    def _show_opened(self, path: str, model, report) -> None:  # noqa: ANN001 - Model, ImportReport
        native = Path(path).suffix.lower() == ".salver"
        # part of opening the file (not an edit of it): views for what the file has no layout of are
        # arranged and applied directly
        arranged = None
        if sd_layout.needs_layout(model):
            arranged, commands = sd_layout.new_stock_flow_view_commands(model)
            Macro(commands, "arrange").do(model)
        if block_layout.has_architecture(model) and not any(v.kind == "block" for v in model.views):
            views = block_views.opening_views(model)
            Macro([AddView(v) for v in views], "arrange").do(model)
            arranged = views[0].id
        self.set_document(Document(model, path if native else None))
        if self.report_dialog is not None:  # the report of the file shown before does not stay up
            self.report_dialog.close()
            self.report_dialog = None
        if arranged is not None:
            self.tabs.show_view(arranged)
        settings.add_recent_file(path)
        self._fill_recent_menu()
        self.statusBar().showMessage(f"Opened {path}", 5000)
        if report.entries:
            self.report_dialog = ImportReportDialog(report, self)
            self.report_dialog.show()
        self.fit_diagram()

    def save(self) -> bool:
        self.properties.commit_pending()
        if self.document is None:
            return False
        if not self.document.path:
            return self.save_as()
        return self.save_to(self.document.path)

    def save_as(self) -> bool:
        """Save under a new name: ``.salver``, or exported as XMILE (which Stella and Vensim open)."""
        self.properties.commit_pending()
        path, chosen = QFileDialog.getSaveFileName(self, "Save model", self.document.path or "",
                                                   ";;".join((NATIVE_FILTER, XMILE_FILTER)))
        if not path:
            return False
        if chosen == XMILE_FILTER or path.lower().endswith((".xmile", ".stmx")):
            return self.export_xmile(path if path.lower().endswith((".xmile", ".stmx")) else path + ".xmile")
        if not path.endswith(".salver"):
            path += ".salver"
        return self.save_to(path)

    def export_xmile(self, path: str) -> bool:
        """Write the model as XMILE; the document keeps its own file and its unsaved mark."""
        from importers import xmile_writer

        try:
            xmile_writer.save(self.document.model, path)
        except (OSError, SalverError) as exc:
            self.show_error("Cannot export", f"{path}\n\n{exc}")
            return False
        self.statusBar().showMessage(f"Exported {path} (XMILE: opens in Stella and Vensim)", 5000)
        return True

    def save_to(self, path: str) -> bool:
        """Write the document as ``.salver``; a failure is shown and nothing is marked saved."""
        assert self.document is not None
        try:
            io.save(self.document.model, path)
        except OSError as exc:
            self.show_error("Cannot save", f"{path}\n\n{exc}")
            return False
        self.document.mark_saved(path)
        settings.add_recent_file(path)
        self._fill_recent_menu()
        self.autosaver.clear()
        self._update_title()
        self.statusBar().showMessage(f"Saved {path}", 5000)
        return True

    def offer_recovery(self) -> list[MainWindow]:
        """Offer the work autosaved by workbenches that ended abnormally (never that of one still
        running), one question per window they had; the first recovered document opens here, others in
        new windows. Returns the windows that now show recovered work."""
        shown: list[MainWindow] = []
        for recovery in autosave.orphaned():
            about = f" on {recovery.original}" if recovery.original else ""
            answer = QMessageBox.question(self, "Recover unsaved work",
                                          f"Salver did not close normally. Recover the unsaved work{about}?")
            if answer != QMessageBox.StandardButton.Yes:
                recovery.discard()
                continue
            try:
                model = io.load(recovery.path)
            except SalverError as exc:
                kept = recovery.keep_damaged()
                self.show_error("Cannot recover", f"The recovery file is damaged and was kept as {kept}\n\n{exc}")
                continue
            window = self if not shown else MainWindow(autosave_ms=self.autosaver.timer.interval())
            document = Document(model, recovery.original)
            window.set_document(document)
            document.undo_stack.resetClean()  # unsaved work: modified until the user saves it
            window._update_title()
            window.autosaver.save_now()  # this session owns the work now
            recovery.discard()
            window.show()
            shown.append(window)
        self.recovered_windows = shown[1:]
        return shown

    def _fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        for path in settings.recent_files():
            action = self.recent_menu.addAction(path)
            action.triggered.connect(lambda _c=False, p=path: self.open_path(p))
        self.recent_menu.setEnabled(bool(self.recent_menu.actions()))

    # -- editing ------------------------------------------------------------------------------------
    def new_block_view(self) -> None:
        """Add an arranged block diagram of the model (empty when it has no blocks yet) and show it."""
        if self.document is None:
            return
        view_id, commands = block_layout.new_block_view_commands(self.document.model)
        self.document.push(commands, "new block diagram")
        self.tabs.show_view(view_id)

    def arrange(self) -> None:
        """Lay out the current block diagram (one undo step); from another diagram, add an arranged one."""
        if self.document is None:
            return
        model = self.document.model
        scene = self.tabs.current_scene()
        if scene is not None and scene.view.kind == "block":
            nested = any(isinstance(model.get(k), Part) and s.width for k, s in scene.view.shapes.items()) \
                and not scene.view.subject
            commands = block_layout.arrange_commands(model, scene.view_id) if nested else \
                block_views.arrange_commands(model, scene.view)
            view_id = scene.view_id
        elif block_layout.has_architecture(model):
            view_id, commands = block_layout.new_block_view_commands(model)
        else:
            self.statusBar().showMessage("The model has no blocks to arrange", 5000)
            return
        if commands:
            self.document.push(commands, "arrange")
        self.tabs.show_view(view_id)
        self.fit_diagram()

    def open_view(self, view_id: str) -> None:
        """Show a diagram (opening its tab), fitted to the window."""
        if self.tabs.open_view(view_id):
            self.fit_diagram()

    def open_element(self, element_id: str) -> None:
        """Open what a double-clicked item stands for: a part's type's internal view (made when the type
        has none yet, one undo step), a module's model."""
        if self.document is None:
            return
        model = self.document.model
        element = model.get(element_id)
        if isinstance(element, Module):
            self.open_module(element)
            return
        typed = model.get(element.type or "") if isinstance(element, Part) else None
        if not isinstance(typed, Block):
            return
        view = block_views.internal_view_of(model, typed.id)
        if view is None:
            view_id, commands = block_views.new_internal_view_commands(model, typed)
            self.document.push(commands, f"internal view of {typed.name}")
        else:
            view_id = view.id
        self.open_view(view_id)

    def open_module(self, module: Module) -> None:
        """Show the diagram of a module's model in a tab of its own."""
        submodel = self.document.model.submodels.get(module.model_name) if self.document is not None else None
        if submodel is None:
            self.statusBar().showMessage(f"The model of module {module.name!r} is not in the file", 5000)
            return
        if self.tabs.open_module(module.name, submodel):
            self.fit_diagram()

    def show_function_reference(self) -> None:
        from app.gui.help_dialog import FunctionReference

        self.function_reference = FunctionReference(self)
        self.function_reference.show()

    def item_menu(self, keys: list[str]) -> QMenu:
        """The right-click menu of the selected diagram items ``keys``."""
        menu = QMenu(self)
        model = self.document.model if self.document is not None else None
        element = model.get(keys[0]) if model is not None and len(keys) == 1 else None
        if isinstance(element, Variable):
            menu.addAction("Edit &Equation", lambda: self.edit_equation(element.id))
        menu.addAction("Delete from &Diagram", lambda: self.delete_selection(deletion.FROM_VIEW))
        menu.addAction("Delete from &Model", lambda: self.delete_selection(deletion.FROM_MODEL))
        extra = context_menu.extra_entries(self, keys)
        if extra:
            menu.addSeparator()
            for text, action in extra:
                menu.addAction(text, action)
        return menu

    def _context_menu(self, keys: list[str], at: QPoint) -> None:
        self.item_menu(keys).exec(at)

    def edit_equation(self, element_id: str) -> None:
        """Show the element in the properties panel with the cursor in its equation."""
        self.properties.show_element(element_id)
        self.properties_dock.show()
        self.properties_dock.raise_()
        self.properties.equation.setFocus()

    def set_mode(self, mode: str, sticky: bool = False) -> None:
        """Pick a palette tool; a ``sticky`` one (double-click on its button) stays until Escape."""
        self.mode_actions[mode].setChecked(True)
        self.tabs.set_mode(mode, sticky)

    def _view_call(self, name: str) -> None:
        view = self.tabs.current_view()
        if view is not None:
            getattr(view, name)()

    def fit_diagram(self) -> None:
        """Show the current diagram as it opens: whole when readable, else its top-left at a readable zoom."""
        self._view_call("zoom_readable")

    def select_all(self) -> None:
        scene = self.tabs.current_scene()
        if scene is not None:
            for item in scene.items():
                if item.flags() & item.GraphicsItemFlag.ItemIsSelectable:
                    item.setSelected(True)

    def find(self) -> None:
        self.browser_dock.show()
        self.browser_dock.raise_()
        self.browser.search.setFocus()
        self.browser.search.selectAll()

    def copy(self) -> bool:
        scene = self.tabs.current_scene()
        if scene is None or self.document is None:
            return False
        return clipboard.copy_to_clipboard(self.document.model, scene.view, scene.selected_keys())

    def cut(self) -> None:
        if self.copy():
            self.delete_selection(deletion.FROM_MODEL)

    def paste(self) -> None:
        scene = self.tabs.current_scene()
        data = clipboard.clipboard_fragment()
        if scene is None or data is None or self.document is None:
            return
        view = self.tabs.current_view()
        under = view.viewport().mapFromGlobal(QCursor.pos())
        at = view.mapToScene(under) if view.viewport().rect().contains(under) else None
        commands, keys = clipboard.paste_commands(self.document.model, scene.view_id, data,
                                                  (at.x(), at.y()) if at is not None else None)
        if commands:
            self.document.push(commands, "paste")
            scene.select_keys(keys)

    def delete_selection(self, mode: str | None = None) -> None:
        """Delete the selected items; asks whether elements leave the model unless ``mode`` says."""
        scene = self.tabs.current_scene()
        if scene is None or self.document is None:
            return
        keys = scene.selected_keys()
        elements = [k for k in keys if k in scene.view.shapes]
        if elements and mode is None:
            mode = deletion.ask_mode(self, len(elements))
            if mode is None:
                return
        commands = deletion.delete_commands(self.document.model, scene.view_id, keys, mode or deletion.FROM_VIEW)
        if commands:
            self.document.push(commands, "delete")

    def show_element(self, element_id: str) -> None:
        """Select ``element_id`` in a diagram that shows it and in the properties panel."""
        if not self.tabs.show_element(element_id):
            self.statusBar().showMessage("This element is not drawn in any diagram", 5000)
        self.properties.show_element(element_id)
        self.properties_dock.show()

    def _selection_changed(self, keys: list[str]) -> None:
        if self.document is not None and len(keys) == 1 and keys[0] in self.document.model.elements:
            self.properties.show_element(keys[0])
        elif not keys:
            self.properties.show_element(None)

    def _diagnostics(self, diagnostics: list) -> None:
        self.problems.set_diagnostics(diagnostics)
        self.properties.set_diagnostics(diagnostics)
        worst: dict[str, str] = {}
        order = {"error": 0, "warning": 1, "info": 2}
        for d in diagnostics:
            if d.element_id and order[d.severity] < order.get(worst.get(d.element_id, "none"), 9):
                worst[d.element_id] = d.severity
        for scene in self.tabs.scenes():
            scene.set_problems({k: v for k, v in worst.items() if v != "info"})
        counts = self.problems.counts()
        self.problem_label.setText("  ".join(f"{SEVERITY_MARKS[s]} {counts[s]}" for s in ("error", "warning")))
        self.problem_label.setToolTip(f"{counts['error']} errors, {counts['warning']} warnings")
        self.problems_dock.setWindowTitle(f"Problems ({counts['error'] + counts['warning']})")

    # -- running ------------------------------------------------------------------------------------
    def run_model(self) -> None:
        self.properties.commit_pending()
        if self.document is not None:
            self.runner.run(self.document.model)

    def sensitivity_dialog(self) -> None:
        """Open the Sensitivity dialog on the current model (Monte Carlo bands, Sobol'/Morris indices)."""
        from app.gui.sensitivity_dialog import open_sensitivity

        if self.document is not None:
            self.sensitivity = open_sensitivity(self, self.document.model)

    def _running(self, running: bool, message: str) -> None:
        self.act_run.setEnabled(not running)
        self.act_stop.setEnabled(running)
        self.run_settings.set_running(running, message)
        self.statusBar().showMessage(message, 5000)

    def show_results(self, outcome: RunOutcome) -> None:
        """Plot a run, draw sparklines and start live mode on its compiled model."""
        assert self.document is not None
        model = self.document.model
        stocks = {s.name: s.id for s in model.of_kind(Stock)}
        units = {v.name: v.units for v in model.variables() if v.units}
        self.plots.add_results(outcome.results, list(stocks), units, model.sim_spec.time_units)
        self._sparklines(outcome.results)
        providers = getattr(outcome.compiled, "providers", {})
        for scene in self.tabs.scenes():
            scene.blocks.set_providers(providers)
        self.live_session = LiveSession(outcome.compiled, self)
        self.live_session.sigResults.connect(self._live_results)
        self.live_session.sigFailed.connect(lambda text: self.statusBar().showMessage(text, 8000))
        self.live.set_session(self.live_session, self.document.model)

    def _run_finished(self, outcome: RunOutcome) -> None:
        self._running(False, f"Run finished in {outcome.seconds * 1000:.0f} ms")
        self.show_results(outcome)
        self.show_verdicts(outcome)

    def show_verdicts(self, outcome: RunOutcome) -> None:
        """Each requirement's verdict on the run: in the requirements panel, the browser and on its diagram
        boxes."""
        if outcome.verify_error:
            self.requirements.clear(outcome.verify_error)
        elif outcome.verdicts:
            self.requirements.set_verdicts(outcome.verdicts)
        else:
            return
        self.requirements_dock.show()
        self.requirements_dock.raise_()
        self.browser.show_verdicts(outcome.verdicts)
        shown = {v.requirement_id: (v.status, verdict_text(v)) for v in outcome.verdicts}
        for scene in self.tabs.scenes():
            scene.blocks.set_verdicts(shown)

    def _run_failed(self, message: str) -> None:
        self._running(False, message)
        self.show_error("Run failed", message)

    def _live_results(self, results) -> None:  # noqa: ANN001 - Results
        self.plots.replace_latest(results)
        self._sparklines(results)

    def _sparklines(self, results) -> None:  # noqa: ANN001 - Results
        assert self.document is not None
        series = {s.id: results[s.name][:, 0] for s in self.document.model.of_kind(Stock) if s.name in results}
        for scene in self.tabs.scenes():
            scene.set_sparklines(series)

    # -- export -------------------------------------------------------------------------------------
    def export_dialog(self, kind: str) -> None:
        filters = {"csv": "CSV (*.csv)", "png": "PNG image (*.png)", "svg": "SVG image (*.svg)"}
        path, _ = QFileDialog.getSaveFileName(self, f"Export {kind.upper()}", "", filters[kind])
        if path:
            try:
                written = self.plots.export(kind, path)
                self.statusBar().showMessage(f"Exported {written}", 5000)
            except (OSError, ValueError) as exc:
                self.show_error("Export failed", str(exc))

    def export_diagram_dialog(self) -> None:
        view = self.tabs.current_view()
        path, _ = QFileDialog.getSaveFileName(self, "Export diagram", "", "PNG image (*.png)")
        if view is not None and path:
            try:
                save_image(view.grab(), path)
            except OSError as exc:
                self.show_error("Export failed", str(exc))

    # -- messages and state -------------------------------------------------------------------------
    def show_error(self, title: str, text: str) -> None:
        """A non-blocking message box; the text is also kept in ``messages``."""
        self.messages.append(text)
        self.statusBar().showMessage(text.splitlines()[0], 8000)
        box = QMessageBox(QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.Ok, self)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.setWindowModality(Qt.WindowModality.NonModal)
        box.show()

    def _restore_state(self) -> None:
        store = settings.settings()
        geometry = store.value("window/geometry")
        state = store.value("window/state")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        else:
            self.resize(1400, 900)
        if isinstance(state, QByteArray):
            self.restoreState(state)
        else:
            self.resizeDocks([self.browser_dock, self.properties_dock], [230, 340], Qt.Orientation.Horizontal)
            self.resizeDocks([self.plots_dock, self.problems_dock], [360, 360], Qt.Orientation.Vertical)
            self.resizeDocks([self.plots_dock, self.problems_dock], [1100, 300], Qt.Orientation.Horizontal)

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self.maybe_save():
            event.ignore()
            return
        store = settings.settings()
        store.setValue("window/geometry", self.saveGeometry())
        store.setValue("window/state", self.saveState())
        store.sync()
        self.autosaver.clear()
        event.accept()
