"""Awareness surveys (知晓率): questions with one aware answer each; a round draws a reproducible random
sample of households in every unit grid of the survey's area (the seed is kept, so the draw can be made
again and checked); a household answers once, in person on the worker's phone or through its link; the
rate per grid and per question comes with its sample size and a 95% Wilson interval, and the trend over
rounds (70% → 91.67% is the line a street office reports)."""

from __future__ import annotations

import math
import random
import secrets
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from wangge.core.errors import invalid
from wangge.engagement.models import SampledHousehold, Survey, SurveyAnswer, SurveyQuestion, SurveyRound
from wangge.grids import services as grids
from wangge.grids.jurisdiction import visible
from wangge.grids.models import Grid
from wangge.registry import services as registry

MOST_PER_GRID = 500
Z95 = 1.959964


def parse_questions(text: str) -> list[dict]:
    """One question per line: 题目|选项1/选项2/…|知晓的选项序号 (from 1). Errors name the line."""
    found = []
    for n, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        parts = [p.strip() for p in line.split("|")]
        choices = [c.strip() for c in parts[1].split("/")] if len(parts) == 3 else []
        if len(parts) != 3 or not parts[0] or len(choices) < 2 or any(not c for c in choices):
            raise invalid(
                "questions",
                _("第 %(n)s 行格式不对：应为“题目|选项1/选项2|知晓的选项序号”") % {"n": n},
                "invalid",
            )
        if not parts[2].isdigit() or not 1 <= int(parts[2]) <= len(choices):
            raise invalid(
                "questions",
                _("第 %(n)s 行：知晓的选项序号应在 1 到 %(m)s 之间") % {"n": n, "m": len(choices)},
                "out_of_range",
            )
        found.append({"text": parts[0][:200], "choices": choices, "aware": int(parts[2]) - 1})
    if not found:
        raise invalid("questions", _("请至少填写一道题目"), "required")
    return found


@transaction.atomic
def create_survey(grid: Grid, *, title: str, questions: list[dict], by) -> Survey:
    if not (title or "").strip():
        raise invalid("title", _("请填写调查名称"), "required")
    survey = Survey.objects.create(grid=grid, title=title.strip()[:100], created_by=by)
    SurveyQuestion.objects.bulk_create(
        [
            SurveyQuestion(survey=survey, number=n, text=q["text"], choices=q["choices"], aware=q["aware"])
            for n, q in enumerate(questions, start=1)
        ]
    )
    return survey


@transaction.atomic
def start_round(survey: Survey, *, per_grid, by, seed: str = "") -> SurveyRound:
    """Draw `per_grid` households (or all, where a grid has fewer) in each unit grid, reproducibly: the
    same seed draws the same households from the same register."""
    try:
        per_grid = int(per_grid)
    except (TypeError, ValueError):
        raise invalid("per_grid", _("抽样户数应为正整数"), "invalid") from None
    if not 1 <= per_grid <= MOST_PER_GRID:
        raise invalid("per_grid", _("每个网格抽样 1 到 %(n)s 户") % {"n": MOST_PER_GRID}, "out_of_range")
    if survey.rounds.filter(closed=False).exists():
        raise invalid("round", _("上一轮尚未结束"), "wrong_state")
    number = (survey.rounds.count() or 0) + 1
    seed = (seed or secrets.token_hex(8))[:32]
    rnd = SurveyRound.objects.create(survey=survey, number=number, per_grid=per_grid, seed=seed)
    rows = []
    for leaf in grids.leaf_grids().filter(grids.subtree_q(survey.grid.path)).order_by("path"):
        homes = list(
            registry.households_for(by).filter(grid=leaf).order_by("pk").values_list("pk", flat=True)
        )
        drawn = random.Random(f"{seed}:{leaf.code}").sample(homes, min(per_grid, len(homes)))
        rows += [
            SampledHousehold(round=rnd, grid=leaf, household_id=h, token=secrets.token_urlsafe(16))
            for h in sorted(drawn)
        ]
    if not rows:
        raise invalid("per_grid", _("调查范围内没有您能看到的住户"), "not_found")
    SampledHousehold.objects.bulk_create(rows, batch_size=2000)
    return rnd


def close_round(rnd: SurveyRound) -> SurveyRound:
    rnd.closed = True
    rnd.save(update_fields=["closed", "last_updated"])
    return rnd


def answer(sampled: SampledHousehold, choices: dict, *, mode: str, by=None) -> SampledHousehold:
    """One household's answers, every question, once (a second submission is refused, not merged)."""
    if sampled.round.closed:
        raise invalid("round", _("本轮调查已结束"), "closed")
    questions = list(sampled.round.survey.questions.all())
    errors = []
    picked = {}
    for q in questions:
        raw = choices.get(q.pk, choices.get(str(q.pk)))
        if raw is None or not str(raw).isdigit() or not 0 <= int(raw) < len(q.choices):
            errors.append(q.number)
        else:
            picked[q.pk] = int(raw)
    if errors:
        raise invalid(
            "answers", _("请回答第 %(n)s 题") % {"n": "、".join(str(n) for n in errors)}, "required"
        )
    try:
        with transaction.atomic():
            locked = SampledHousehold.objects.select_for_update().get(pk=sampled.pk)
            if locked.answered_at is not None:
                raise invalid("answers", _("该户本轮已作答"), "taken")
            SurveyAnswer.objects.bulk_create(
                [SurveyAnswer(sampled=locked, question_id=q, choice=c) for q, c in picked.items()]
            )
            locked.answered_at, locked.mode = timezone.now(), mode
            locked.answered_by = by if getattr(by, "is_authenticated", False) else None
            locked.save(update_fields=["answered_at", "mode", "answered_by"])
            return locked
    except IntegrityError:
        raise invalid("answers", _("该户本轮已作答"), "taken") from None


@dataclass
class Rate:
    label: str
    aware: int
    answered: int
    sampled: int

    @property
    def rate(self) -> float | None:
        return self.aware / self.answered if self.answered else None

    @property
    def interval(self) -> tuple[float, float] | None:
        """The 95% Wilson score interval of the rate."""
        n = self.answered
        if not n:
            return None
        p = self.aware / n
        centre = (p + Z95**2 / (2 * n)) / (1 + Z95**2 / n)
        half = Z95 * math.sqrt(p * (1 - p) / n + Z95**2 / (4 * n * n)) / (1 + Z95**2 / n)
        return max(0.0, centre - half), min(1.0, centre + half)


def results(rnd: SurveyRound) -> tuple[Rate, list[Rate], list[Rate]]:
    """The round's awareness: overall, per grid and per question. A household's awareness is the share of
    questions it answered with the aware choice; a rate counts answers (households × questions)."""
    from django.db.models import F

    answers = SurveyAnswer.objects.filter(sampled__round=rnd)
    aware = Q(choice=F("question__aware"))
    sampled = dict(rnd.sample.values_list("grid").annotate(n=Count("pk")).order_by())
    names = dict(Grid.objects.filter(pk__in=sampled).values_list("pk", "name"))
    per_grid = [
        Rate(names[g], a, n, sampled[g] * rnd.survey.questions.count())
        for g, a, n in answers.values_list("sampled__grid")
        .annotate(a=Count("pk", filter=aware), n=Count("pk"))
        .order_by("sampled__grid")
    ]
    answered_grids = {r.label for r in per_grid}
    per_grid += [Rate(names[g], 0, 0, sampled[g]) for g in sampled if names[g] not in answered_grids]
    total_sampled = rnd.sample.count()
    per_question = [
        Rate(f"{q.number}. {q.text}", q.a, q.n, total_sampled)
        for q in rnd.survey.questions.annotate(
            a=Count("answers", filter=Q(answers__sampled__round=rnd, answers__choice=F("aware"))),
            n=Count("answers", filter=Q(answers__sampled__round=rnd)),
        ).order_by("number")  # Meta.ordering does not apply to a grouped query
    ]
    overall = Rate(
        rnd.survey.title,
        sum(r.aware for r in per_question),
        sum(r.answered for r in per_question),
        total_sampled,
    )
    return overall, sorted(per_grid, key=lambda r: r.label), per_question


def trend(survey: Survey) -> list[tuple[SurveyRound, Rate]]:
    return [(rnd, results(rnd)[0]) for rnd in survey.rounds.order_by("number")]


def surveys_for(user) -> QuerySet[Survey]:
    return visible(Survey.objects.select_related("grid"), user)


def sample_for(user, rnd: SurveyRound) -> QuerySet[SampledHousehold]:
    """The households of the round in the user's jurisdiction (a worker's own to visit)."""
    return visible(rnd.sample.select_related("household", "grid"), user).order_by(
        "grid__path", "household__number"
    )
