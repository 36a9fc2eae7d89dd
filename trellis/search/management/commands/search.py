"""`trellis search reindex|embed|vocabulary|status`: rebuild the index, fill in vectors,
recount the common words, or say how far along they are."""

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from trellis.search import embeddings, vocabulary
from trellis.search.indexing import reindex_all
from trellis.search.models import CommonTerm, DocKind, Document


class Command(BaseCommand):
    help = "Maintain the search index: reindex, embed, vocabulary, status."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["reindex", "embed", "vocabulary", "status"])
        parser.add_argument("--kind", action="append", choices=DocKind.values, default=None)
        parser.add_argument("--limit", type=int, default=None, help="embed at most this many")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        began = time.perf_counter()
        if action == "reindex":
            counts = reindex_all(options["kind"] or DocKind.values)
            for kind, n in counts.items():
                self.stdout.write(f"{kind}: {n} documents written or removed")
            self.stdout.write(f"{vocabulary.refresh()} common words counted")
        elif action == "vocabulary":
            self.stdout.write(f"{vocabulary.refresh()} common words counted")
        elif action == "embed":
            if embeddings.embedder() is None:
                self.stderr.write(embeddings.semantic_off_reason())
                return
            done = embeddings.embed_pending(limit=options["limit"])
            self.stdout.write(f"embedded {done} documents")
        model = embeddings.embedder()
        total = Document.objects.count()
        embedded = Document.objects.filter(embedding_model=model.name).count() if model else 0
        self.stdout.write(
            f"{total} documents, {embedded} with vectors from "
            f"{model.name if model else 'no model'}, {CommonTerm.objects.count()} common words "
            f"({time.perf_counter() - began:.1f} s)"
        )
