"""Where an import run keeps its files under the data folder: the uploaded archive, the folder
it is unpacked into, and its progress (a small file, not the database: the import holds its
transaction). A finished run keeps none of them (services.import_run_cleanup)."""

from pathlib import Path

from django.conf import settings

from trellis.imports.models import ImportRun


def imports_folder() -> Path:
    return Path(settings.DATA_DIR) / "imports"


def upload_path(run: ImportRun) -> Path:
    return imports_folder() / f"run-{run.pk}.zip"


def unpacked_path(run: ImportRun) -> Path:
    return imports_folder() / f"run-{run.pk}"


def progress_path(run: ImportRun) -> Path:
    return imports_folder() / f"run-{run.pk}.progress.json"
