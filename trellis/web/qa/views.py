"""Ask the Expert pages: thin views over the services and selectors."""

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from trellis.communities import selectors as community_selectors
from trellis.communities.models import Community, Status
from trellis.core import access
from trellis.core.activity import view_record
from trellis.core.errors import NotFound, ServiceError
from trellis.core.text import html_to_text
from trellis.core.web import AuthedRequest, add_form_errors, int_param, report_error
from trellis.expertise.selectors import routing_lines
from trellis.library.selectors import answering_guides, promoted_from
from trellis.qa import selectors, services
from trellis.qa.links import question_url
from trellis.qa.models import BodyFormat, Post, PostKind
from trellis.stories.models import Source
from trellis.web.expertise.forms import ConnectForm
from trellis.web.qa.forms import AnswerForm, AskForm, CloseForm, CommentForm, EditForm, VoteForm
from trellis.web.stories.prompts import hinted_prompt, moment_hint, prompt_context

ORG_WIDE = "_org"


def _post(request: AuthedRequest, pk: int, kind: str | None = None) -> Post:
    try:
        return selectors.post_get(viewer=request.user, post_id=pk, kind=kind)
    except NotFound as error:
        raise Http404(error.message) from error


def _community(request: AuthedRequest, slug: str) -> Community:
    try:
        return community_selectors.community_get(viewer=request.user, slug=slug)
    except NotFound as error:
        raise Http404(error.message) from error


def _list_context(request: AuthedRequest, community: Community | None) -> dict[str, Any]:
    sort = request.GET.get("sort", "newest")
    sort = sort if sort in selectors.SORTS else "newest"
    tag = request.GET.get("tag", "").strip()[:50]
    page = selectors.question_list(
        viewer=request.user,
        community=community,
        sort=sort,
        tag=tag,
        page=int_param(request, "page"),
    )
    return {
        "nav": "questions",
        "community": community,
        "page": page,
        "sort": sort,
        "sorts": list(selectors.SORTS),
        "tag": tag,
        "tags": selectors.popular_tags(viewer=request.user, community=community),
        "can_ask": access.can_contribute_in(request.user, community),
        "can_route_org": access.can_route_in(request.user, None),
    }


@require_GET
def question_list(request: AuthedRequest) -> HttpResponse:
    return render(request, "qa/questions.html", _list_context(request, None))


@require_GET
def community_questions(request: AuthedRequest, slug: str) -> HttpResponse:
    community = _community(request, slug)
    return render(request, "qa/questions.html", _list_context(request, community))


def _ask_choices(request: AuthedRequest) -> list[tuple[str, str]]:
    communities = community_selectors.community_directory(viewer=request.user, page_size=100).items
    mine = {c.pk for c in community_selectors.my_communities(viewer=request.user)}
    ordered = sorted(
        (c for c in communities if c.status != Status.ARCHIVED),
        key=lambda c: (c.pk not in mine, c.name),
    )
    return [(ORG_WIDE, "The whole organisation"), *((c.slug, c.name) for c in ordered)]


@require_http_methods(["GET", "POST"])
def question_ask(request: AuthedRequest) -> HttpResponse:
    choices = _ask_choices(request)
    initial = {"community": request.GET.get("community", ORG_WIDE)}
    form = AskForm(request.POST or None, initial=initial, choices=choices)
    if request.method == "POST" and form.is_valid():
        slug = form.cleaned_data["community"]
        try:
            community = None if slug == ORG_WIDE else _community(request, slug)
            question = services.question_ask(
                actor=request.user,
                community=community,
                title=form.cleaned_data["title"],
                body=form.cleaned_data["body"],
                tags=form.cleaned_data["tags"],
            )
        except ServiceError as error:
            add_form_errors(form, error)
        else:
            messages.success(request, "Your question is posted. You'll hear when someone answers.")
            return redirect("question-detail", pk=question.pk)
    return render(request, "qa/ask.html", {"form": form, "nav": "questions"})


@require_GET
def question_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    try:
        thread = selectors.question_thread(viewer=request.user, question_id=pk)
    except NotFound as error:
        raise Http404(error.message) from error
    question = thread.question.post
    services.question_view_record(viewer=request.user, question=question)
    viewer = request.user
    can_curate = access.can_curate_in(viewer, question.community)
    context = {
        "nav": "questions",
        "thread": thread,
        "question": question,
        "community": question.community,
        "answer_form": AnswerForm(),
        "comment_form": CommentForm(),
        "close_form": CloseForm(),
        "can_contribute": access.can_contribute_in(viewer, question.community),
        "can_accept": access.can_accept_answer(viewer, question.author_id, question.community),
        "can_curate": can_curate,
        "can_close": access.can_close_question(viewer, question.author_id, question.community),
        "guides": promoted_from(viewer=viewer, question_id=question.pk),
        "answering_guides": answering_guides(viewer=viewer, question_id=question.pk),
        "routing": routing_lines(viewer=viewer, question=question),
        "can_route": access.can_route_in(viewer, question.community),
        "connect_form": ConnectForm(),
    }
    # Right after accepting or thanking: "What did this help you do?" (stories).
    moments = [(Source.THANKS, question.pk)]
    for pv in thread.answers:
        moments += [(Source.ACCEPTED, pv.post.pk), (Source.THANKS, pv.post.pk)]
    context |= prompt_context(hinted_prompt(request, *moments))
    return render(request, "qa/question.html", context)


def _back(post: Post) -> str:
    return question_url(post.thread_id, None if post.is_question else post.pk)


@require_POST
def answer_post(request: AuthedRequest, pk: int) -> HttpResponse:
    question = _post(request, pk, PostKind.QUESTION)
    form = AnswerForm(request.POST)
    if form.is_valid():
        try:
            answer = services.answer_post(
                actor=request.user, question=question, body=form.cleaned_data["body"]
            )
        except ServiceError as error:
            report_error(request, error)
        else:
            messages.success(request, "Thanks for answering!")
            return redirect(_back(answer))
    else:
        messages.error(request, "Write an answer before posting it.")
    return redirect("question-detail", pk=question.pk)


@require_POST
def comment_add(request: AuthedRequest, pk: int) -> HttpResponse:
    post = _post(request, pk)
    form = CommentForm(request.POST)
    if not form.is_valid():
        messages.error(request, "A comment needs some text (at most 600 characters).")
    else:
        try:
            services.comment_add(actor=request.user, post=post, body=form.cleaned_data["body"])
        except ServiceError as error:
            report_error(request, error)
    return redirect(_back(post))


@require_http_methods(["GET", "POST"])
def post_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    post = _post(request, pk)
    author_ids = {post.author_id} if post.author_id else set()
    if not access.can_edit_content(request.user, author_ids, post.community):
        raise Http404("You cannot edit this post.")
    initial = {
        "title": post.title,
        # Imported HTML is edited as text: saving turns the post into Markdown.
        "body": post.body
        if post.body_format == BodyFormat.MARKDOWN
        else html_to_text(post.body_html),
        "tags": " ".join(post.tags.order_by("name").values_list("name", flat=True)),
    }
    form = EditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.post_edit(
                actor=request.user,
                post=post,
                title=data["title"] if post.is_question else None,
                body=data["body"],
                tags=data["tags"] if post.is_question else None,
                note=data["note"],
            )
        except ServiceError as error:
            add_form_errors(form, error)
        else:
            messages.success(request, "Saved. The previous version is kept in the history.")
            return redirect(_back(post))
    return render(request, "qa/edit.html", {"form": form, "post": post, "nav": "questions"})


@require_GET
def post_revisions(request: AuthedRequest, pk: int) -> HttpResponse:
    try:
        post, revisions = selectors.revisions(viewer=request.user, post_id=pk)
    except NotFound as error:
        raise Http404(error.message) from error
    context = {"post": post, "revisions": revisions, "nav": "questions"}
    return render(request, "qa/revisions.html", context)


@require_POST
def post_vote(request: AuthedRequest, pk: int) -> HttpResponse:
    post = _post(request, pk)
    form = VoteForm(request.POST)
    my_vote = 0
    if form.is_valid():
        try:
            post = services.post_vote(
                actor=request.user, post=post, value=form.cleaned_data["value"]
            )
            my_vote = form.cleaned_data["value"]
        except ServiceError as error:
            report_error(request, error)
    else:
        messages.error(request, "A vote is up, down or undo.")
    if request.htmx:
        can_vote = access.can_react_to(request.user, post.author_id, post.community)
        context = {"post": post, "my_vote": my_vote, "can_vote": can_vote}
        return render(request, "qa/_vote.html", context)
    return redirect(_back(post))


@require_POST
def post_thank(request: AuthedRequest, pk: int) -> HttpResponse:
    post = _post(request, pk)
    try:
        if services.post_thank(actor=request.user, post=post):
            messages.success(request, "Your thanks has been passed on.")
            moment_hint(request, Source.THANKS, post.pk)
    except ServiceError as error:
        report_error(request, error)
    return redirect(_back(post))


@require_POST
def answer_accept(request: AuthedRequest, pk: int) -> HttpResponse:
    answer = _post(request, pk, PostKind.ANSWER)
    accept = request.POST.get("accept", "1") != "0"
    try:
        services.answer_accept(actor=request.user, answer=answer, accept=accept)
    except ServiceError as error:
        report_error(request, error)
    else:
        messages.success(request, "Marked as the answer." if accept else "Unmarked.")
        if accept:
            moment_hint(request, Source.ACCEPTED, answer.pk)
    return redirect(_back(answer))


@require_POST
def question_follow(request: AuthedRequest, pk: int) -> HttpResponse:
    question = _post(request, pk, PostKind.QUESTION)
    follow = request.POST.get("follow", "1") != "0"
    services.question_follow(actor=request.user, question=question, follow=follow)
    if request.htmx:
        return render(request, "qa/_follow.html", {"question": question, "following": follow})
    return redirect("question-detail", pk=question.pk)


@require_POST
def question_close(request: AuthedRequest, pk: int) -> HttpResponse:
    question = _post(request, pk, PostKind.QUESTION)
    form = CloseForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give the original question's number or its address.")
        return redirect("question-detail", pk=question.pk)
    try:
        original = selectors.post_get(
            viewer=request.user, post_id=form.cleaned_data["duplicate_of"], kind=PostKind.QUESTION
        )
        services.question_close_duplicate(actor=request.user, question=question, original=original)
    except NotFound:
        messages.error(request, "There is no such question, or you cannot see it.")
    except ServiceError as error:
        report_error(request, error)
    else:
        messages.success(request, "Closed as a duplicate; both questions now link to each other.")
    return redirect(reverse("question-detail", args=[question.pk]))


@require_POST
def question_reopen(request: AuthedRequest, pk: int) -> HttpResponse:
    question = _post(request, pk, PostKind.QUESTION)
    try:
        services.question_reopen(actor=request.user, question=question)
    except ServiceError as error:
        report_error(request, error)
    return redirect("question-detail", pk=question.pk)


@require_GET
def community_conversations(request: AuthedRequest, slug: str) -> HttpResponse:
    community = _community(request, slug)
    page = selectors.conversation_list(
        viewer=request.user, community=community, page=int_param(request, "page")
    )
    context = {"community": community, "page": page, "nav": "questions"}
    return render(request, "qa/conversations.html", context)


@require_GET
def conversation_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    try:
        conversation = selectors.conversation_get(viewer=request.user, conversation_id=pk)
    except NotFound as error:
        raise Http404(error.message) from error
    view_record(viewer=request.user, obj=conversation, community_id=conversation.community_id)
    context = {
        "conversation": conversation,
        "messages_": selectors.conversation_messages(conversation),
        "community": conversation.community,
        "nav": "questions",
    }
    return render(request, "qa/conversation.html", context)
