"""Where the shared test data lies: ``../shared`` beside the repository (as on CI)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
SD_MODELS = SHARED / "sd-test-models"
MBSE_SAMPLES = SHARED / "mbse-samples"
