"""Arrows point one way: the engine and retrieval/ never import a platform SDK."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PLATFORM = {"telegram", "wechatpy", "starlette", "uvicorn", "aiohttp", "httpx", "tornado"}
CORE = [ROOT / "bot" / n for n in ("engine.py", "answers.py", "conversation.py", "messages.py", "records.py", "texts.py", "render.py")]


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_engine_imports_no_platform_sdk():
    for path in CORE:
        assert not (_imports(path) & PLATFORM), path


def test_retrieval_is_pure():
    for path in (ROOT / "retrieval").glob("*.py"):
        imported = _imports(path)
        assert not (imported & (PLATFORM | {"sqlalchemy", "bot"})), path


def test_channels_only_translate():
    """Channel adapters talk to the engine, never to retrieval/ or the database directly."""
    for path in (ROOT / "bot" / "channels").rglob("*.py"):
        imported = _imports(path)
        assert "retrieval" not in imported, path
        assert "sqlalchemy" not in imported, path


def test_storage_knows_no_platform_nor_retrieval():
    for path in (ROOT / "bot" / "storage").glob("*.py"):
        assert not (_imports(path) & (PLATFORM | {"retrieval"})), path
