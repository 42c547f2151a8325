"""``briefgen new``: a starter project copied from the example briefing."""

from __future__ import annotations

import shutil
from pathlib import Path

from briefgen.project import CONFIG_NAME, default_theme_dir


def starter_dir() -> Path:
    """The example project: inside the installed package, or the repo itself."""
    package = Path(__file__).resolve().parents[1]  # briefgen/, where the wheel puts starter/
    packaged = package / "starter"
    return packaged if packaged.is_dir() else package.parent


def create_project(target: Path) -> None:
    if target.exists() and any(target.iterdir()):
        raise FileExistsError("folder is not empty")
    source = starter_dir()
    target.mkdir(parents=True, exist_ok=True)
    shutil.copy2(source / CONFIG_NAME, target / CONFIG_NAME)
    shutil.copytree(source / "content", target / "content")
    (target / "templates").mkdir()
    (target / "templates" / "README.md").write_text(
        "Put a file here with the same name as one of the default theme's to override it,\n"
        f"for example templates/static/style.css. The default theme's files are in {default_theme_dir().name}/\n"
        "inside the briefgen package.\n",
        encoding="utf-8",
    )
    (target / ".gitignore").write_text(
        "/site/\n/.site.spare/\n.briefgen-cache/\n.briefgen.lock\n.venv/\n", encoding="utf-8"
    )
