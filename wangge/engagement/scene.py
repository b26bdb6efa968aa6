"""The `points` section of a scene (积分规则): what earns how many points, for a person or a household
(village governance points are per household), and the most one rule gives a holder per month or year.
Points are granted by a confirmation (an organiser, a worker) or by what another module confirmed (a
resident's report accepted as real), never by the earner."""

from __future__ import annotations

from pydantic import field_validator, model_validator

from wangge.core.scenes import SceneModel, applied_section, register_section


class EarningRule(SceneModel):
    key: str
    name: str
    points: int  # per unit (an hour, a report, a month of a clean courtyard)
    unit: str = "次"
    holder: str = "person"  # person | household
    limit: int = 0  # the most points this rule gives one holder per period; 0: no limit
    period: str = "month"  # month | year
    # report_confirmed: which case categories earn (none listed: every category)
    categories: list[str] = []

    @field_validator("points")
    @classmethod
    def _points(cls, value: int) -> int:
        if not 1 <= value <= 10_000:
            raise ValueError("points 应在 1 到 10000 之间")
        return value

    @field_validator("holder")
    @classmethod
    def _holder(cls, value: str) -> str:
        if value not in ("person", "household"):
            raise ValueError("holder 只能是 person（个人）或 household（家庭户）")
        return value

    @field_validator("period")
    @classmethod
    def _period(cls, value: str) -> str:
        if value not in ("month", "year"):
            raise ValueError("period 只能是 month（月）或 year（年）")
        return value

    @model_validator(mode="after")
    def _limit(self) -> EarningRule:
        if self.limit < 0 or (self.limit and self.limit < self.points):
            raise ValueError(f"规则 {self.key} 的上限 {self.limit} 小于一次的积分 {self.points}")
        return self


DEFAULT_RULES = [
    EarningRule(key="volunteer_hour", name="志愿服务", points=10, unit="小时", limit=300),
    EarningRule(key="report_confirmed", name="随手拍隐患经核实", points=5, unit="件", limit=50,
                categories=["fire_hazard", "gas_leak", "dangerous_house", "landslide", "road_damage"]),
    EarningRule(key="mediation", name="参与矛盾纠纷调解", points=10, limit=50),
    EarningRule(key="courtyard", name="庭院整洁（村规民约）", points=5, unit="月", holder="household",
                limit=5),
    EarningRule(key="rules_kept", name="遵守村规民约、移风易俗", points=10, holder="household", limit=60,
                period="year"),
]  # fmt: skip


class PointsSection(SceneModel):
    rules: list[EarningRule] = DEFAULT_RULES

    @field_validator("rules")
    @classmethod
    def _unique(cls, value: list[EarningRule]) -> list[EarningRule]:
        keys = [r.key for r in value]
        if len(keys) != len(set(keys)):
            raise ValueError("积分规则的 key 不能重复")
        return value


def settings() -> PointsSection:
    return applied_section("points", PointsSection) or PointsSection()


def rules() -> dict[str, EarningRule]:
    return {r.key: r for r in settings().rules}


def apply(section: PointsSection) -> None:
    """Nothing to write: the rules are read where points are granted."""


def register() -> None:
    register_section("points", PointsSection, apply, order=97)
