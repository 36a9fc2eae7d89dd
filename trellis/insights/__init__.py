"""What Trellis infers about participation: levels and paths, champions, community health
and the silo map, each checked against what people did next (benchmarks/bench_participation.py)."""
