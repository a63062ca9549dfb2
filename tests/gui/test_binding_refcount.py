"""The Qt binding keeps Python's reference counts: void QGraphicsItem calls must not drop ``None``.

PySide6 6.12.0 on Python 3.11 decrements the count of ``None`` on every void ``QGraphicsItem`` call
(``setPos`` …) until the interpreter aborts with "none_dealloc". The probe runs in its own process so an
abort is a test failure, not a crash of the test run.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

PROBE = textwrap.dedent("""
    import sys
    from PySide6.QtWidgets import QApplication, QGraphicsRectItem, QGraphicsScene
    app = QApplication.instance() or QApplication([])
    scene = QGraphicsScene()
    items = [QGraphicsRectItem(0, 0, 10, 10) for _ in range(200)]
    for item in items:
        scene.addItem(item)
    before = sys.getrefcount(None)
    for i in range(10_000):
        items[i % 200].setPos(i % 50, i % 70)
        items[i % 200].setZValue(i % 3)
    after = sys.getrefcount(None)
    print(before, after)
""")


def test_void_qgraphicsitem_calls_keep_the_count_of_none():
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, f"the probe aborted (rc {done.returncode}): {done.stderr[-400:]}"
    before, after = map(int, done.stdout.split())
    assert after >= before - 100, f"the count of None fell from {before} to {after}"
