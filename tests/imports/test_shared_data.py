"""Finding the shared Stack Exchange dumps: beside the repository or where
TRELLIS_SHARED_DATA says; missing data skips a test locally and fails it in CI."""

from pathlib import Path

import pytest

from tests import shared_data


def test_the_dumps_are_found_beside_the_repository(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TRELLIS_SHARED_DATA", raising=False)
    repository = Path(__file__).resolve().parents[2]
    assert shared_data.stackexchange_dumps() == repository.parent / "shared/data/stackexchange"


def test_the_environment_may_say_where_they_are(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "stackexchange" / "ai-2020").mkdir(parents=True)
    monkeypatch.setenv("TRELLIS_SHARED_DATA", str(tmp_path))
    assert shared_data.stackexchange_dumps() == tmp_path / "stackexchange"
    assert shared_data.stackexchange_dump("ai-2020") == tmp_path / "stackexchange" / "ai-2020"
    assert shared_data.dump_names() == ["ai-2020"]


def test_missing_data_skips_locally(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("TRELLIS_SHARED_DATA", str(tmp_path / "nowhere"))
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match=r"nowhere/stackexchange/ai-2020.*TRELLIS_"):
        shared_data.stackexchange_dump("ai-2020")
    assert shared_data.dump_names() == list(shared_data.KNOWN_DUMPS)


def test_missing_data_fails_in_ci(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("TRELLIS_SHARED_DATA", str(tmp_path / "nowhere"))
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match=r"nowhere/stackexchange/ai-2020"):
        shared_data.stackexchange_dump("ai-2020")


def test_no_test_hard_codes_a_machine_path() -> None:
    tests = Path(__file__).resolve().parents[1]
    # The machine's checkout root, spelled in pieces so this file does not contain it itself.
    workplace = "/" + "work" + "/"
    offenders = [
        str(path.relative_to(tests))
        for path in tests.rglob("*.py")
        if path.name not in ("test_shared_data.py", "shared_data.py")
        and any(
            needle in path.read_text(encoding="utf-8")
            for needle in (f'"{workplace}', f"'{workplace}", '/ "shared"', "/shared/data")
        )
    ]
    assert offenders == []
