"""Ten queries about nothing any workplace community holds, written with the first relevance
floor (benchmarks/calibrate_relevance_floor.py) and not changed since: the check, never the
calibration, of where semantic search stops."""

NONSENSE_QUERIES: tuple[str, ...] = (
    "purple elephant teleport banana",
    "asdf qwer zxcv uiop",
    "my grandmother's sourdough starter smells of nail polish",
    "how many goals did the home team score on saturday",
    "best beaches for a holiday in the algarve",
    "lorem ipsum dolor sit amet consectetur",
    "recipe for vegan chocolate cake without eggs",
    "xyzzy plugh frobnicate the wibble",
    "which horse won the grand national",
    "knitting pattern for a wool scarf",
)
