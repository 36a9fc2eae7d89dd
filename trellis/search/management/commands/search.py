"""`trellis search reindex|embed|status`: rebuild the index, fill in vectors, or say how far
along both are."""

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from trellis.search import embedding
from trellis.search.indexing import reindex_all
from trellis.search.models import DocKind, Document


class Command(BaseCommand):
    help = "Maintain the search index: reindex, embed, status."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["reindex", "embed", "status"])
        parser.add_argument("--kind", action="append", choices=DocKind.values, default=None)
        parser.add_argument("--limit", type=int, default=None, help="embed at most this many")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        began = time.perf_counter()
        if action == "reindex":
            counts = reindex_all(options["kind"] or DocKind.values)
            for kind, n in counts.items():
                self.stdout.write(f"{kind}: {n} documents written or removed")
        elif action == "embed":
            if embedding.embedder() is None:
                self.stderr.write(embedding.semantic_off_reason())
                return
            done = embedding.embed_pending(limit=options["limit"])
            self.stdout.write(f"embedded {done} documents")
        model = embedding.embedder()
        total = Document.objects.count()
        embedded = Document.objects.filter(embedding_model=model.name).count() if model else 0
        self.stdout.write(
            f"{total} documents, {embedded} with vectors from "
            f"{model.name if model else 'no model'} ({time.perf_counter() - began:.1f} s)"
        )
