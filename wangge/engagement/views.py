"""Points pages: holders and their statements, granting by a rule, the shops with their goods and stock,
the counter (a resident's card scanned, or looked up by name), receipts, the community's monthly report,
and the resident's own points card. Thin: the verbs are in services."""

from __future__ import annotations

import uuid

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from wangge.core import dates
from wangge.core.downloads import download
from wangge.core.errors import invalid
from wangge.core.excel import write_workbook
from wangge.core.forms import refusal, tell
from wangge.core.pagination import paginate
from wangge.core.replica import replica_ok
from wangge.engagement import permissions as perms
from wangge.engagement import scene, services
from wangge.engagement.forms import (
    CorrectForm,
    EarnForm,
    GoodsForm,
    RedeemForm,
    ShopForm,
    StockInForm,
    WriteOffForm,
)
from wangge.engagement.models import PointTransfer, StockMove
from wangge.grids import services as grids
from wangge.grids.jurisdiction import get_visible_grid_or_404, top_grids, visible
from wangge.grids.models import Grid
from wangge.registry import services as registry

EXPORT_ROWS = 50_000  # an Excel list's rows at most


def _month(request):
    return dates.month_or_this(request.GET.get("month"))


# --- holders and statements -----------------------------------------------------------------------


@login_required
@permission_required(perms.VIEW, raise_exception=True)
@replica_ok
def holder_list(request):
    """积分账户: every person and household holding points in the user's jurisdiction."""
    qs = services.holders_with_names(request.user).order_by("-balance", "pk")
    if q := request.GET.get("q", "").strip():
        qs = qs.filter(Q(person__name__contains=q) | Q(household__number=q))
    if request.GET.get("format") == "xlsx":
        rows = [
            [services.holder_label(a), a.get_kind_display(), a.grid.name, a.balance] for a in qs[:EXPORT_ROWS]
        ]
        return download(
            write_workbook(["持有人", "类型", "网格", "余额"], rows, sheet="积分账户"), "points.xlsx"
        )
    found = (
        registry.search_persons(request.user, text=q)[:20] if q and request.user.has_perm(perms.GRANT) else []
    )
    page, query = paginate(request, qs)
    return render(request, "engagement/holder_list.html", {"page": page, "query": query, "found": found})


@login_required
@permission_required(perms.VIEW, raise_exception=True)
def person_points(request, person_id: int):
    """A person of the register: their account (opened here on first use)."""
    return redirect("engagement:holder", pk=services.person_account_or_404(request.user, person_id).pk)


@login_required
@permission_required(perms.VIEW, raise_exception=True)
def holder(request, pk: int):
    """One holder's monthly statement, with the grant form and corrections."""
    account = services.get_holder_or_404(request.user, pk)
    month = _month(request)
    st = services.statement(account, month)
    if request.GET.get("format") == "xlsx":
        rows = [
            [
                e.at.strftime("%Y-%m-%d %H:%M"),
                e.get_kind_display(),
                e.reason,
                e.amount if e.credit_id == account.pk else -e.amount,
                str(e.by),
            ]
            for e in st.entries
        ]
        rows += [["", "", _("月初余额"), st.opening, ""], ["", "", _("月末余额"), st.closing, ""]]
        return download(
            write_workbook(["时间", "类型", "事由", "积分", "经办人"], rows, sheet="积分对账单"),
            f"points-{account.pk}-{month:%Y-%m}.xlsx",
        )
    form = EarnForm(rules=scene.settings().rules, initial={"client_id": uuid.uuid4().hex})
    corrected = set(PointTransfer.objects.filter(corrects__in=st.entries).values_list("corrects", flat=True))
    return render(
        request,
        "engagement/holder.html",
        {
            "account": account,
            "label": services.holder_label(account),
            "st": st,
            "form": form,
            "corrected": corrected,
            "month": month,
            "can_grant": request.user.has_perm(perms.GRANT),
        },
    )


@login_required
@permission_required(perms.GRANT, raise_exception=True)
@require_POST
def holder_earn(request, pk: int):
    account = services.get_holder_or_404(request.user, pk)
    form = EarnForm(request.POST, rules=scene.settings().rules)
    try:
        if not form.is_valid():
            raise refusal(form)
        d = form.cleaned_data
        who = {"person": account.person} if account.kind == "person" else {"household": account.household}
        given = services.earn(
            d["rule"],
            by=request.user,
            quantity=d["quantity"],
            detail=d["detail"],
            client_id=d["client_id"],
            **who,
        )
        if given.credit_id != account.pk:
            messages.info(request, _("该规则按户计分，积分已发给其家庭户"))
        messages.success(request, _("已发放 %(n)s 分：%(r)s") % {"n": given.amount, "r": given.reason})
    except ValidationError as exc:
        tell(request, exc, form)
    return redirect("engagement:holder", pk=pk)


@login_required
@permission_required(perms.GRANT, raise_exception=True)
@require_POST
def transfer_correct(request, pk: int, transfer_pk: int):
    account = services.get_holder_or_404(request.user, pk)
    mistake = PointTransfer.objects.filter(Q(credit=account) | Q(debit=account), pk=transfer_pk).first()
    if mistake is None:
        raise Http404
    form = CorrectForm(request.POST)
    try:
        if not form.is_valid():
            raise refusal(form)
        services.correct(mistake, reason=form.cleaned_data["reason"], by=request.user)
        messages.success(request, _("已更正：退回 %(n)s 分") % {"n": mistake.amount})
    except ValidationError as exc:
        tell(request, exc, form)
    return redirect("engagement:holder", pk=pk)


# --- shops ----------------------------------------------------------------------------------------


def community_grids(user) -> list[tuple[str, str]]:
    """Grids a shop, a team, a job or a notice belongs to: the user's grids down to the third level (not
    the unit grids)."""
    below = Grid.objects.filter(depth__lte=3).order_by("path")
    return [(str(g.pk), g.name) for g in visible(below, user, grid_field="")[:300]]


@login_required
@permission_required(perms.VIEW, raise_exception=True)
def shop_list(request):
    shops = services.shops_for(request.user)
    form = ShopForm(grids=community_grids(request.user)) if request.user.has_perm(perms.RUN_SHOP) else None
    return render(request, "engagement/shop_list.html", {"shops": shops, "form": form})


@login_required
@permission_required(perms.RUN_SHOP, raise_exception=True)
@require_POST
def shop_new(request):
    form = ShopForm(request.POST, grids=community_grids(request.user))
    try:
        if not form.is_valid():
            raise refusal(form)
        d = form.cleaned_data
        grid = visible(Grid.objects.all(), request.user, grid_field="").get(pk=d["grid"])
        shop = services.open_shop(
            grid, name=d["name"], address=d["address"], opening_hours=d["opening_hours"]
        )
    except ValidationError as exc:
        tell(request, exc, form)
        return redirect("engagement:shops")
    return redirect("engagement:shop", pk=shop.pk)


def _goods_choices(shop) -> list[tuple[str, str]]:
    return [
        (str(g.pk), f"{g.name}（{g.price} 分，库存 {g.stock}{g.unit}）") for g in services.shop_goods(shop)
    ]


@login_required
@permission_required(perms.VIEW, raise_exception=True)
def shop(request, pk: int):
    """A shop's shelf (goods, prices, stock) and its stock moves."""
    s = services.get_shop_or_404(request.user, pk)
    moves = StockMove.objects.filter(goods__shop=s).select_related("goods", "donor", "by", "redemption")
    if request.GET.get("format") == "xlsx":
        rows = [
            [
                m.at.strftime("%Y-%m-%d %H:%M"),
                m.goods.name,
                m.get_kind_display(),
                m.quantity,
                m.donor.name if m.donor else "",
                m.redemption.number if m.redemption else "",
                m.note,
                str(m.by),
            ]
            for m in moves[:EXPORT_ROWS]
        ]
        headers = ["时间", "商品", "类型", "数量", "捐赠方", "小票号", "备注", "经办人"]
        return download(write_workbook(headers, rows, sheet="出入库"), f"shop-{s.pk}-stock.xlsx")
    page, query = paginate(request, moves, per_page=30)
    goods = _goods_choices(s)
    runs = request.user.has_perm(perms.RUN_SHOP)
    return render(
        request,
        "engagement/shop.html",
        {
            "shop": s,
            "goods": services.shop_goods(s),
            "page": page,
            "query": query,
            "runs": runs,
            "goods_form": GoodsForm() if runs else None,
            "stock_form": StockInForm(goods=goods) if runs else None,
            "write_off_form": WriteOffForm(goods=goods) if runs else None,
        },
    )


@login_required
@permission_required(perms.RUN_SHOP, raise_exception=True)
@require_POST
def shop_goods_new(request, pk: int):
    s = services.get_shop_or_404(request.user, pk)
    form = GoodsForm(request.POST)
    try:
        if not form.is_valid():
            raise refusal(form)
        g = services.add_goods(s, **form.cleaned_data)
        messages.success(request, _("已上架：%(g)s") % {"g": g.name})
    except ValidationError as exc:
        tell(request, exc, form)
    return redirect("engagement:shop", pk=pk)


@login_required
@permission_required(perms.RUN_SHOP, raise_exception=True)
@require_POST
def shop_stock(request, pk: int):
    """Goods in (donated with the donor, or bought) or written off."""
    s = services.get_shop_or_404(request.user, pk)
    writing_off = request.POST.get("action") == "write_off"
    form = (WriteOffForm if writing_off else StockInForm)(request.POST, goods=_goods_choices(s))
    try:
        if not form.is_valid():
            raise refusal(form)
        d = form.cleaned_data
        goods = services.goods_of_shop(s, d["goods"])
        if writing_off:
            services.write_off(goods, d["quantity"], by=request.user, note=d["note"])
            messages.success(
                request, _("已报损 %(n)s%(u)s %(g)s") % {"n": d["quantity"], "u": goods.unit, "g": goods.name}
            )
        else:
            wanted = d["donor"] and not d["bought"]
            donor = services.donor_named(s.grid, d["donor"], d["donor_kind"]) if wanted else None
            services.stock_in(
                goods, d["quantity"], by=request.user, donor=donor, bought=d["bought"], note=d["note"]
            )
            messages.success(
                request, _("已入库 %(n)s%(u)s %(g)s") % {"n": d["quantity"], "u": goods.unit, "g": goods.name}
            )
    except ValidationError as exc:
        tell(request, exc, form)
    return redirect("engagement:shop", pk=pk)


# --- the counter and receipts ---------------------------------------------------------------------


@login_required
@permission_required(perms.RUN_SHOP, raise_exception=True)
def counter(request, pk: int):
    """兑换: scan the resident's card (a scanner types its token into the field) or look them up by name."""
    s = services.get_shop_or_404(request.user, pk)
    holders, error = [], ""
    if card := request.GET.get("card", "").strip():
        try:
            holders = [services.account_by_card(request.user, card)]
        except ValidationError as exc:
            error = "；".join(exc.messages)
    elif q := request.GET.get("q", "").strip():
        people = registry.search_persons(request.user, text=q)[:10]
        holders = [a for p in people for a in services.holders_of(p)]
    lines = [
        (
            a,
            services.holder_label(a),
            RedeemForm(goods=_goods_choices(s), initial={"account": a.pk, "client_id": uuid.uuid4().hex}),
        )
        for a in holders
    ]
    return render(
        request,
        "engagement/counter.html",
        {
            "shop": s,
            "lines": lines,
            "error": error,
            "receipts": services.receipts_for(request.user).filter(shop=s)[:10],
        },
    )


@login_required
@permission_required(perms.RUN_SHOP, raise_exception=True)
@require_POST
def counter_redeem(request, pk: int):
    s = services.get_shop_or_404(request.user, pk)
    form = RedeemForm(request.POST, goods=_goods_choices(s))
    try:
        if not form.is_valid():
            raise refusal(form)
        d = form.cleaned_data
        account = services.holders_for(request.user).filter(pk=d["account"]).first()
        if account is None:
            raise invalid("account", _("找不到该积分账户"), "not_found")
        receipt = services.redeem_goods(
            account,
            services.goods_of_shop(s, d["goods"]),
            d["quantity"],
            by=request.user,
            client_id=d["client_id"],
            note=d["note"],
        )
    except ValidationError as exc:
        tell(request, exc, form)
        return redirect("engagement:counter", pk=pk)
    return redirect("engagement:receipt", pk=receipt.pk)


@login_required
def receipt(request, pk: int):
    r = services.get_receipt_or_404(request.user, pk)
    undone = PointTransfer.objects.filter(corrects=r.transfer_id).exists()
    can_undo = request.user.has_perm(perms.RUN_SHOP) and not undone
    return render(
        request,
        "engagement/receipt.html",
        {"r": r, "label": services.holder_label(r.account), "undone": undone, "can_undo": can_undo},
    )


@login_required
@permission_required(perms.RUN_SHOP, raise_exception=True)
@require_POST
def receipt_undo(request, pk: int):
    r = services.get_receipt_or_404(request.user, pk)
    form = CorrectForm(request.POST)
    try:
        if not form.is_valid():
            raise refusal(form)
        services.undo_redemption(r, reason=form.cleaned_data["reason"], by=request.user)
        messages.success(request, _("已退回：%(n)s 分和商品已返还") % {"n": r.points})
    except ValidationError as exc:
        tell(request, exc, form)
    return redirect("engagement:receipt", pk=pk)


# --- the community's monthly report ---------------------------------------------------------------


@login_required
@permission_required(perms.VIEW, raise_exception=True)
@replica_ok
def report(request):
    tops = list(top_grids(request.user))
    code = request.GET.get("grid") or (tops[0].code if tops else "")
    if not code:
        raise Http404
    grid = get_visible_grid_or_404(request.user, code)
    month = _month(request)
    r = services.community_month(grid, month)
    names = {k: v.name for k, v in scene.rules().items()}
    if request.GET.get("format") == "xlsx":
        rows = [
            ["积分", "发放", r.granted],
            ["积分", "兑换", r.redeemed],
            ["积分", "更正（净）", r.corrected],
            ["积分", "月末结余", r.outstanding],
            ["积分", "持有人", r.holders],
        ]
        rows += [["按规则发放", names.get(k, k or "其他"), n] for k, n in r.by_rule]
        rows += [
            [
                "商品",
                f"{g['goods'].shop.name} {g['goods'].name}",
                f"入库 {g['in']} 兑换 {g['out']} 报损 {g['written_off']} 月末库存 {g['stock']}",
            ]
            for g in r.goods
        ]
        return download(
            write_workbook(["类别", "项目", "数值"], rows, sheet="积分月报"),
            f"points-{grid.code}-{month:%Y-%m}.xlsx",
        )
    if request.GET.get("format") == "statements":
        return _statements_workbook(request.user, grid, month)
    by_rule = [(names.get(k, k or _("其他")), n) for k, n in r.by_rule]
    children = Grid.objects.filter(path__startswith=grid.path, depth=grid.depth + 1).order_by("path")
    return render(
        request,
        "engagement/report.html",
        {
            "r": r, "by_rule": by_rule, "grid": grid, "month": month, "tops": tops, "children": children,
            "closed": services.closed_month(month),
        },
    )  # fmt: skip


def _statements_workbook(user, grid, month):
    """对账单: every holder's line of the month in the grid's subtree, as Excel."""
    holders = services.holders_with_names(user).filter(grid__in=grids.subtree_ids(grid))
    named = {a.pk: a for a in holders}
    rows = []
    for line in sorted(services.statements(holders, month))[:EXPORT_ROWS]:
        if (a := named.get(line.account_id)) is not None:
            rows.append([services.holder_label(a), a.get_kind_display(), a.grid.name, *line[1:]])
    head = ["持有人", "类型", "网格", "月初余额", "获得", "兑换", "更正与过期（净）", "月末余额"]
    return download(write_workbook(head, rows, sheet="对账单"), f"statements-{grid.code}-{month:%Y-%m}.xlsx")


# --- the resident's own points --------------------------------------------------------------------


@login_required
def my_points(request):
    """我的积分: balances, this month's entries and the points card to show at the counter."""
    accounts = services.accounts_of_resident(request.user)
    month = _month(request)
    cards = []
    for a in accounts:
        token = services.card_token(a)
        cards.append(
            {
                "account": a,
                "label": services.holder_label(a),
                "st": services.statement(a, month),
                "qr": segno.make(token, error="m").svg_inline(scale=4),
                "token": token,
            }
        )
    person = registry.person_of_user(request.user)
    activities = services.activities_near(person)[:10] if person is not None else []
    return render(
        request,
        "engagement/my_points.html",
        {
            "activities": activities,
            "member": services.member_of(request.user),
            "cards": cards,
            "month": month,
            "minutes": services.CARD_MINUTES,
            "shops": services.shops_of_resident(request.user),
        },
    )
