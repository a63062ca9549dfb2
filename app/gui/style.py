"""The workbench's look: colours, pens, fonts, the application style sheet and icons from ``resources/``."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from PySide6.QtGui import QColor, QFont, QIcon, QPen
from PySide6.QtWidgets import QApplication

RESOURCES = Path(__file__).resolve().parents[2] / "resources" / "icons"

INK = QColor("#2F4B6E")
INK_SOFT = QColor("#6B7F99")
SELECTION = QColor("#2D7FF9")
STOCK_FILL = QColor("#DCE8F5")
AUX_FILL = QColor("#FFF3D6")
PARAM_FILL = QColor("#E6F4E1")
FLOW_FILL = QColor("#FFFFFF")
NOTE_FILL = QColor("#FFFBE6")
BLOCK_FILL = QColor("#EEF0F7")
PART_FILL = QColor("#FFFFFF")
PORT_FILL = QColor("#FFFFFF")
CLOUD_FILL = QColor("#F4F6F9")
LINK_INK = QColor("#B0524B")
SPARK_INK = QColor("#3C9A5F")
CANVAS = QColor("#FBFCFE")
GRID = QColor("#EDF1F6")
ERROR = QColor("#D64541")
SEVERITY_COLOURS = {"error": QColor("#D64541"), "warning": QColor("#E8A33D"), "info": QColor("#3D7CC9")}

PLOT_COLOURS = ["#2F6DB5", "#D0533F", "#3C9A5F", "#8A5CC2", "#E0A030", "#2AA5A5", "#C44F8E", "#5F6B7A"]

STYLE_SHEET = """
QMainWindow, QDockWidget { background: #F4F6F9; }
QDockWidget::title { background: #E6EBF2; padding: 4px 8px; font-weight: 600; color: #2F4B6E; }
QToolBar { background: #F4F6F9; border: none; spacing: 2px; padding: 2px; }
QToolButton { padding: 3px; border-radius: 4px; }
QToolButton:checked { background: #D6E4F7; }
QToolButton:hover { background: #E3EAF4; }
QTabBar::tab { padding: 5px 14px; background: #E6EBF2; border: 1px solid #D3DAE4; border-bottom: none;
               border-top-left-radius: 4px; border-top-right-radius: 4px; color: #2F4B6E; }
QTabBar::tab:selected { background: #FBFCFE; }
QLineEdit, QPlainTextEdit, QDoubleSpinBox, QComboBox { border: 1px solid #C9D2DE; border-radius: 3px;
               padding: 2px 4px; background: white; }
QLineEdit:focus, QPlainTextEdit:focus { border-color: #2D7FF9; }
QStatusBar { background: #E6EBF2; color: #2F4B6E; }
QHeaderView::section { background: #EEF2F7; border: none; border-right: 1px solid #D3DAE4; padding: 3px; }
QPushButton { padding: 4px 12px; border: 1px solid #B9C4D3; border-radius: 4px; background: #FFFFFF; }
QPushButton:hover { background: #EEF3FA; }
"""


@cache
def icon(name: str) -> QIcon:
    """The icon ``resources/icons/<name>.svg`` (an empty icon when the file is missing)."""
    path = RESOURCES / f"{name}.svg"
    return QIcon(str(path)) if path.is_file() else QIcon()


def pen(colour: QColor, width: float = 1.4) -> QPen:
    """A cosmetic-looking round-joined pen used by every diagram item."""
    result = QPen(colour, width)
    result.setJoinStyle(result.joinStyle().RoundJoin)
    result.setCapStyle(result.capStyle().RoundCap)
    return result


def label_font(point_size: float = 9.0, bold: bool = False) -> QFont:
    """The font of diagram labels."""
    font = QFont("DejaVu Sans")
    font.setPointSizeF(point_size)
    font.setBold(bold)
    return font


def apply(app: QApplication) -> None:
    """Install the style sheet, the application font and icon on ``app``."""
    app.setStyle("Fusion")
    app.setFont(label_font(9.5))
    app.setStyleSheet(STYLE_SHEET)
    app.setWindowIcon(icon("salver"))
