"""Plausible Chinese names for demo data (common surnames weighted by frequency)."""

import random

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蔡蒋余于杜叶程魏苏吕丁任沈姚卢"
    "缪龚叶范翁"
)
GIVEN = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉兰萍红建国志强海燕建华丽娟文斌春梅金凤德福长林"
    "雪梅晓东振华永清淑珍国庆家豪子涵梓萱浩宇欣怡俊杰思远婉婷嘉怡一鸣晨曦"
)


def person_name(rng: random.Random) -> str:
    given = rng.choice(GIVEN) if rng.random() < 0.3 else rng.choice(GIVEN) + rng.choice(GIVEN)
    return rng.choice(SURNAMES) + given


def mobile(rng: random.Random) -> str:
    return rng.choice(
        ["138", "139", "135", "136", "150", "151", "158", "187", "188", "133", "153", "180", "189"]
    ) + "".join(rng.choice("0123456789") for _ in range(8))
