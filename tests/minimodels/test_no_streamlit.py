import re
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "minimodels"


def test_no_module_mentions_streamlit():
    files = sorted(PACKAGE.glob("**/*.py"))
    assert len(files) >= 10
    offenders = [
        f.name for f in files if re.search(r"\bstreamlit\b", f.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_importing_every_module_loads_no_streamlit():
    modules = [f"minimodels.{f.stem}" for f in sorted(PACKAGE.glob("*.py")) if f.stem != "__init__"]
    code = f"import sys; import {', '.join(modules)}; print('streamlit' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
