"""Write a synthetic Stack Exchange dump of N posts, streaming, for the import benchmarks.

    python benchmarks/gen_se_dump.py OUTDIR --posts 1000000 --seed 1

The shape follows the real dumps (see ../shared/data/stackexchange): ~35% questions, each
followed by its answers (so parents come earlier), some accepted; tags in the `|a|b|` form of
the 2023+ dumps; HTML bodies of ~600 characters; ~1 comment and ~2 votes per post, votes mostly
without UserId (dumps keep it only for favourites and bounties: 2% favourites here); PostLinks
on ~2% of questions.
Memory stays constant: posts are written as they are made, only per-tag counters are kept.
Prints one JSON line: {"posts": ..., "seconds": ..., "bytes": ...}.
"""

import argparse
import json
import random
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO
from xml.sax.saxutils import escape

_WORD_TEXT = (
    "qubit gate circuit state measure entangle phase error noise basis operator matrix vector "
    "algorithm simulate decompose amplitude probability hamiltonian unitary register oracle "
    "deploy pipeline container cluster config build release monitor cache latency throughput "
    "the a of to and in is for that with on as it be this by from are can not how why what"
)
WORDS = tuple(_WORD_TEXT.split())
TAGS = [f"tag-{i}" for i in range(500)]
START = datetime(2015, 1, 1, tzinfo=UTC)
ANSWERS_PER_QUESTION = (0, 1, 2, 3, 4)
ANSWER_WEIGHTS = (0.15, 0.30, 0.25, 0.15, 0.15)  # mean 1.85: ~35% of posts are questions


def _sentence(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize() + "."


def _snippet_pool(rng: random.Random, size: int = 2000) -> list[str]:
    """Paragraphs to assemble bodies from: random words per body would dominate the run time."""
    pool = []
    for i in range(size):
        text = " ".join(_sentence(rng, rng.randint(7, 15)) for _ in range(rng.randint(1, 3)))
        if i % 3 == 0:
            text += f' See <a href="https://example.org/doc/{i}">the docs</a>.'
        if i % 4 == 0:
            text += f" Try <code>run --step {i}</code> first."
        pool.append(f"<p>{text}</p>\n")
    return pool


def _body(rng: random.Random, pool: list[str]) -> str:
    body = "".join(rng.choice(pool) for _ in range(rng.randint(3, 4)))
    if rng.random() < 0.3:
        body += f"<pre><code>x = {rng.randint(0, 999)}\nprint(x)\n</code></pre>\n"
    return '"' + escape(body, {'"': "&quot;", "\n": "&#xA;"}) + '"'


def _owner(rng: random.Random, n_users: int) -> str:
    """Now and then a deleted owner: the dumps then keep only OwnerDisplayName."""
    if rng.random() < 0.005:
        return f'OwnerDisplayName="gone{rng.randint(1, 999)}"'
    return f'OwnerUserId="{rng.randint(1, n_users)}"'


def _stamp(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}"


def _open(out: Path, name: str, root: str) -> IO[str]:
    f = (out / name).open("w", encoding="utf-8", buffering=1024 * 1024)
    f.write(f'\ufeff<?xml version="1.0" encoding="utf-8"?>\n<{root}>\n')
    return f


def _close(f: IO[str], root: str) -> None:
    f.write(f"</{root}>\n")
    f.close()


def generate(out: Path, posts: int, seed: int) -> None:
    rng = random.Random(seed)
    pool = _snippet_pool(rng)
    out.mkdir(parents=True, exist_ok=True)
    n_users = max(10, posts // 10)
    tag_counts = [0] * len(TAGS)

    users = _open(out, "Users.xml", "users")
    users.write(
        '  <row Id="-1" Reputation="1" CreationDate="2014-12-31T00:00:00.000" '
        'DisplayName="Community" AboutMe="&lt;p&gt;I am not a real person.&lt;/p&gt;" '
        'AccountId="-1" />\n'
    )
    for uid in range(1, n_users + 1):
        created = _stamp(START + timedelta(minutes=uid))
        users.write(
            f'  <row Id="{uid}" Reputation="{rng.randint(1, 5000)}" CreationDate="{created}" '
            f'DisplayName="user{uid}" Location="City {uid % 97}" '
            f'AboutMe="&lt;p&gt;About user {uid}.&lt;/p&gt;" AccountId="{uid + 1000}" />\n'
        )
    _close(users, "users")

    files = {
        name: _open(out, f"{name}.xml", name.lower())
        for name in ("Posts", "Comments", "Votes", "PostLinks")
    }
    p, c, v, lk = files["Posts"], files["Comments"], files["Votes"], files["PostLinks"]
    post_id = comment_id = vote_id = link_id = 0
    now = START
    last_question = 0

    def post_extras(pid: int, when: datetime) -> None:
        nonlocal comment_id, vote_id
        for _ in range(rng.choices((0, 1, 2), (0.35, 0.35, 0.30))[0]):
            comment_id += 1
            c.write(
                f'  <row Id="{comment_id}" PostId="{pid}" Score="{rng.randint(0, 3)}" '
                f'Text="{_sentence(rng, 8)}" CreationDate="{_stamp(when)}" '
                f'UserId="{rng.randint(1, n_users)}" />\n'
            )
        day = when.strftime("%Y-%m-%dT00:00:00.000")
        for _ in range(rng.choices((0, 1, 2, 3, 4), (0.15, 0.2, 0.3, 0.2, 0.15))[0]):
            vote_id += 1
            roll = rng.random()
            if roll < 0.02:  # a favourite: the one kind of vote that keeps its UserId
                v.write(
                    f'  <row Id="{vote_id}" PostId="{pid}" VoteTypeId="5" '
                    f'UserId="{rng.randint(1, n_users)}" CreationDate="{day}" />\n'
                )
                continue
            vote_type = 2 if roll < 0.88 else 3
            v.write(
                f'  <row Id="{vote_id}" PostId="{pid}" VoteTypeId="{vote_type}" '
                f'CreationDate="{day}" />\n'
            )

    while post_id < posts:
        now += timedelta(seconds=rng.randint(30, 600))
        question_id = post_id = post_id + 1
        n_answers = min(rng.choices(ANSWERS_PER_QUESTION, ANSWER_WEIGHTS)[0], posts - post_id)
        answer_ids = list(range(question_id + 1, question_id + 1 + n_answers))
        accepted = rng.choice(answer_ids) if answer_ids and rng.random() < 0.45 else None
        tags = rng.sample(range(len(TAGS)), rng.randint(1, 4))
        for t in tags:
            tag_counts[t] += 1
        accepted_attr = f' AcceptedAnswerId="{accepted}"' if accepted else ""
        title = _sentence(rng, rng.randint(5, 10))[:-1] + "?"
        p.write(
            f'  <row Id="{question_id}" PostTypeId="1"{accepted_attr} '
            f'CreationDate="{_stamp(now)}" Score="{rng.randint(-2, 40)}" '
            f'ViewCount="{rng.randint(10, 5000)}" Body={_body(rng, pool)} '
            f'{_owner(rng, n_users)} LastActivityDate="{_stamp(now)}" '
            f'Title="{title}" Tags="|{"|".join(TAGS[t] for t in tags)}|" '
            f'AnswerCount="{n_answers}" CommentCount="0" ContentLicense="CC BY-SA 4.0" />\n'
        )
        post_extras(question_id, now)
        if last_question and rng.random() < 0.02:
            link_id += 1
            p_type = 3 if rng.random() < 0.3 else 1
            lk.write(
                f'  <row Id="{link_id}" CreationDate="{_stamp(now)}" PostId="{question_id}" '
                f'RelatedPostId="{rng.randint(1, last_question)}" LinkTypeId="{p_type}" />\n'
            )
        last_question = question_id
        for answer_id in answer_ids:
            post_id = answer_id
            when = now + timedelta(minutes=rng.randint(1, 600))
            p.write(
                f'  <row Id="{answer_id}" PostTypeId="2" ParentId="{question_id}" '
                f'CreationDate="{_stamp(when)}" Score="{rng.randint(-1, 30)}" '
                f"Body={_body(rng, pool)} {_owner(rng, n_users)} "
                f'LastActivityDate="{_stamp(when)}" CommentCount="0" '
                f'ContentLicense="CC BY-SA 4.0" />\n'
            )
            post_extras(answer_id, when)
            if answer_id == accepted:
                vote_id += 1
                v.write(
                    f'  <row Id="{vote_id}" PostId="{answer_id}" VoteTypeId="1" '
                    f'CreationDate="{when.strftime("%Y-%m-%dT00:00:00.000")}" />\n'
                )
    for name, f in files.items():
        _close(f, name.lower())

    tags_file = _open(out, "Tags.xml", "tags")
    for i, (tag, count) in enumerate(zip(TAGS, tag_counts, strict=True), start=1):
        tags_file.write(f'  <row Id="{i}" TagName="{tag}" Count="{count}" />\n')
    _close(tags_file, "tags")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("outdir", type=Path)
    parser.add_argument("--posts", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    started = time.perf_counter()
    generate(args.outdir, args.posts, args.seed)
    size = sum(f.stat().st_size for f in args.outdir.iterdir() if f.is_file())
    seconds = round(time.perf_counter() - started, 2)
    print(json.dumps({"posts": args.posts, "seconds": seconds, "bytes": size}))


if __name__ == "__main__":
    main()
