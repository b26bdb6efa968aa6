"""The `assessment` section of a scene (考核): the period, the weight of each outcome, and whether the site
shows ranking tables. Only outcomes may be weighed; an activity (log-ins, time online, mileage, check-ins,
numbers of cases reported) is refused by name, as the 2023 rules against 指尖上的形式主义 ask."""

from __future__ import annotations

from pydantic import field_validator

from wangge.core.scenes import SceneModel, applied_section, register_section

# the outcomes a grid is assessed on (their formulas: command/assessment.py)
OUTCOMES = ("on_time", "rework", "satisfied", "visits_in_time", "disputes_settled", "hazards_fixed",
            "reports_on_time")  # fmt: skip
# activities sites have scored workers on, refused with the reason
ACTIVITIES = {
    "logins": "登录次数",
    "online_time": "在线时长",
    "online_minutes": "在线时长",
    "mileage": "巡查里程",
    "check_ins": "签到打卡",
    "checkins": "签到打卡",
    "steps": "步数",
    "cases_reported": "上报事件数量",
    "reports_count": "上报数量",
    "visits_count": "走访次数",
}
DEFAULT_WEIGHTS = {"on_time": 25, "rework": 15, "satisfied": 20, "visits_in_time": 20, "disputes_settled": 10,
                   "hazards_fixed": 10, "reports_on_time": 0}  # fmt: skip


class AssessmentSection(SceneModel):
    period: str = "month"  # month | quarter
    ranking: bool = False  # ranking tables only where a site turns them on
    weights: dict[str, int] = DEFAULT_WEIGHTS

    @field_validator("period")
    @classmethod
    def _period(cls, value: str) -> str:
        if value not in ("month", "quarter"):
            raise ValueError("考核周期只能是 month（月）或 quarter（季度）")
        return value

    @field_validator("weights")
    @classmethod
    def _weights(cls, value: dict[str, int]) -> dict[str, int]:
        for key, weight in value.items():
            if key in ACTIVITIES:
                raise ValueError(
                    f"考核只看结果，不能按“{ACTIVITIES[key]}”（{key}）考核：这类指标让网格员疲于留痕、编造事件"
                )
            if key not in OUTCOMES:
                raise ValueError(f"未知的考核结果 {key}（可用：{'、'.join(OUTCOMES)}）")
            if not 0 <= weight <= 100:
                raise ValueError(f"{key} 的权重应在 0 到 100 之间")
        if not any(value.values()):
            raise ValueError("考核权重不能全为 0")
        return value


def settings() -> AssessmentSection:
    return applied_section("assessment", AssessmentSection) or AssessmentSection()


def apply(section: AssessmentSection) -> None:
    """Nothing to write: the section is read where it is used."""


def register() -> None:
    register_section("assessment", AssessmentSection, apply, order=95)
    register_analysis()


class RiskRule(SceneModel):
    """风险提示: when cases of these categories (or groups) in a period reach `at_least` and rise by
    `rise` (1.0 = 100%) over their average of the four periods before, the report says so in `text`
    ({name}, {n}, {period}; {compared}: "比前四期平均（3.5件）增加129%" or "前四期没有此类事件";
    {average}, {rise}; {place}: "，集中在胜利街3号附近" when they cluster)."""

    name: str
    categories: list[str]
    rise: float = 1.0
    at_least: int = 3
    text: str = "{name}类事件{period}{n}件，{compared}{place}，请提前排查。"

    @field_validator("rise")
    @classmethod
    def _rise(cls, value: float) -> float:
        if not 0 <= value <= 100:
            raise ValueError("rise 是增幅（1.0 即 100%），应在 0 到 100 之间")
        return value


DEFAULT_RULES = [
    RiskRule(name="燃气", categories=["gas_leak"], rise=0.5, at_least=2),
    RiskRule(name="消防安全", categories=["fire_hazard"], rise=0.5, at_least=3),
    RiskRule(name="危房", categories=["dangerous_house"], rise=0.5, at_least=2),
    RiskRule(name="地质灾害", categories=["landslide"], rise=0.0, at_least=1),
    RiskRule(name="矛盾纠纷", categories=["disputes"], rise=1.0, at_least=5),
    RiskRule(name="环境卫生", categories=["environment"], rise=1.0, at_least=10),
]


class AnalysisSection(SceneModel):
    """日报告/周研判/月分析: which grid levels get them on schedule, and the risk rules."""

    levels: list[str] = ["town", "second"]
    risk_rules: list[RiskRule] = DEFAULT_RULES


def analysis_settings() -> AnalysisSection:
    return applied_section("analysis", AnalysisSection) or AnalysisSection()


def register_analysis() -> None:
    register_section("analysis", AnalysisSection, apply, order=96)
