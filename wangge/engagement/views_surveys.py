"""Awareness survey pages: surveys and their rounds, the results per grid and question with the sample
size and the 95% interval, the trend; the worker's list of sampled households to visit and the answer
form; the resident's own link (/survey/<token>/, no login: the token is the household's alone)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from wangge.core.downloads import download
from wangge.core.excel import write_workbook
from wangge.core.forms import refusal, tell
from wangge.engagement import permissions as perms
from wangge.engagement import services
from wangge.engagement.forms import RoundForm, SurveyForm
from wangge.engagement.models import SampledHousehold, SurveyRound
from wangge.engagement.views import community_grids
from wangge.grids.jurisdiction import get_visible_or_404, visible
from wangge.grids.models import Grid


def _pct(v) -> str:
    return "—" if v is None else f"{v * 100:.1f}%"


@login_required
@permission_required(perms.VIEW, raise_exception=True)
def survey_list(request):
    surveys = services.surveys_for(request.user)
    form = SurveyForm(grids=community_grids(request.user)) if request.user.has_perm(perms.ORGANISE) else None
    return render(request, "engagement/survey_list.html", {"surveys": surveys, "form": form})


@login_required
@permission_required(perms.ORGANISE, raise_exception=True)
@require_POST
def survey_new(request):
    form = SurveyForm(request.POST, grids=community_grids(request.user))
    try:
        if not form.is_valid():
            raise refusal(form)
        d = form.cleaned_data
        grid = visible(Grid.objects.all(), request.user, grid_field="").get(pk=d["grid"])
        survey = services.create_survey(
            grid, title=d["title"], questions=services.parse_questions(d["questions"]), by=request.user
        )
    except ValidationError as exc:
        tell(request, exc, form)
        return redirect("engagement:surveys")
    return redirect("engagement:survey", pk=survey.pk)


@login_required
@permission_required(perms.VIEW, raise_exception=True)
def survey(request, pk: int):
    sv = get_visible_or_404(services.surveys_for(request.user), request.user, pk=pk)
    trend = [(rnd, rate, _pct(rate.rate), rate.interval) for rnd, rate in services.trend(sv)]
    organises = request.user.has_perm(perms.ORGANISE)
    return render(
        request,
        "engagement/survey.html",
        {
            "sv": sv,
            "trend": trend,
            "questions": sv.questions.all(),
            "form": RoundForm() if organises else None,
        },
    )


@login_required
@permission_required(perms.ORGANISE, raise_exception=True)
@require_POST
def round_new(request, pk: int):
    sv = get_visible_or_404(services.surveys_for(request.user), request.user, pk=pk)
    form = RoundForm(request.POST)
    try:
        if not form.is_valid():
            raise refusal(form)
        rnd = services.start_round(
            sv, per_grid=form.cleaned_data["per_grid"], seed=form.cleaned_data["seed"], by=request.user
        )
        messages.success(
            request, _("第 %(n)s 轮已抽样 %(h)s 户") % {"n": rnd.number, "h": rnd.sample.count()}
        )
    except ValidationError as exc:
        tell(request, exc, form)
    return redirect("engagement:survey", pk=pk)


def _round(request, pk: int) -> SurveyRound:
    rnd = SurveyRound.objects.select_related("survey__grid").filter(pk=pk).first()
    if rnd is None or not services.surveys_for(request.user).filter(pk=rnd.survey_id).exists():
        raise Http404
    return rnd


@login_required
@permission_required(perms.VIEW, raise_exception=True)
def round_detail(request, pk: int):
    rnd = _round(request, pk)
    overall, per_grid, per_question = services.results(rnd)

    def row(r):
        ci = r.interval
        return [
            r.label,
            r.sampled,
            r.answered,
            r.aware,
            _pct(r.rate),
            f"{_pct(ci[0])} – {_pct(ci[1])}" if ci else "—",
        ]

    if request.GET.get("format") == "xlsx":
        headers = ["网格/题目", "应答数（抽样）", "作答数", "知晓数", "知晓率", "95% 置信区间"]
        rows = [row(overall)] + [row(r) for r in per_grid] + [row(r) for r in per_question]
        return download(
            write_workbook(headers, rows, sheet="知晓率"), f"survey-{rnd.survey_id}-{rnd.number}.xlsx"
        )
    if request.method == "POST" and request.user.has_perm(perms.ORGANISE):
        services.close_round(rnd)
        return redirect("engagement:survey_round", pk=pk)
    sample = services.sample_for(request.user, rnd)
    return render(
        request,
        "engagement/survey_round.html",
        {
            "rnd": rnd,
            "overall": row(overall),
            "per_grid": [row(r) for r in per_grid],
            "per_question": [row(r) for r in per_question],
            "sample": sample[:300],
        },
    )


def _answer_page(request, sampled: SampledHousehold, *, mode: str, done_url: str):
    questions = list(sampled.round.survey.questions.all())
    if request.method == "POST":
        try:
            services.answer(
                sampled, {q.pk: request.POST.get(f"q{q.pk}") for q in questions}, mode=mode, by=request.user
            )
            messages.success(request, _("已提交，谢谢"))
            return redirect(done_url)
        except ValidationError as exc:
            tell(request, exc)
    return render(request, "engagement/survey_answer.html", {"sampled": sampled, "questions": questions})


@login_required
@permission_required(perms.VIEW, raise_exception=True)
def sample_answer(request, pk: int):
    """The worker records a sampled household's answers in person."""
    sampled = get_visible_or_404(
        SampledHousehold.objects.select_related("round__survey", "household"), request.user, pk=pk
    )
    return _answer_page(
        request,
        sampled,
        mode=SampledHousehold.Mode.IN_PERSON,
        done_url=reverse("engagement:survey_round", args=[sampled.round_id]),
    )


def answer_by_link(request, token: str):
    """The resident's own link: only the token's household, once; nothing else of the survey is shown."""
    sampled = get_object_or_404(SampledHousehold.objects.select_related("round__survey"), token=token)
    if sampled.answered_at is not None:
        return render(request, "engagement/survey_answer.html", {"sampled": sampled, "done": True})
    return _answer_page(request, sampled, mode=SampledHousehold.Mode.LINK, done_url=request.path)
