"""The verbs of engagement, as other modules, pages, the API and the command line call them."""

from wangge.engagement.services.access import (  # noqa: F401
    CARD_MINUTES,
    account_by_card,
    accounts_of_resident,
    card_token,
    get_holder_or_404,
    get_receipt_or_404,
    get_shop_or_404,
    goods_in_reach,
    goods_of_shop,
    holder_label,
    holders_with_names,
    person_account_or_404,
    receipts_for,
    shop_goods,
    shops_for,
    shops_of_resident,
)
from wangge.engagement.services.earning import (  # noqa: F401
    earn,
    earn_for_report,
    earned,
    holder_account,
    holders_of,
    is_holder,
    rule_or_refuse,
)
from wangge.engagement.services.ledger import (  # noqa: F401
    MOST_AT_ONCE,
    A,
    Mismatch,
    T,
    account_of,
    check_balances,
    community_account,
    correct,
    grant,
    redeem,
    transfer,
)
from wangge.engagement.services.reports import (  # noqa: F401
    CommunityMonth,
    Statement,
    StatementLine,
    community_month,
    holders_for,
    month_bounds,
    statement,
    statements,
)
from wangge.engagement.services.shop import (  # noqa: F401
    add_goods,
    donor_named,
    open_shop,
    redeem_goods,
    shop_account,
    stock_in,
    stock_mismatches,
    undo_redemption,
    write_off,
)
