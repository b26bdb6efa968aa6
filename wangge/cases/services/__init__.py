"""The verbs of the event loop: report, accept, dispatch, handle, verify, close, rate, and the side
branches (return, extend, suspend, supervise, cannot solve, duplicate), plus the deadline sweep.

Every verb checks the actor may act on the case, moves its status, writes one append-only CaseEvent,
sets the next deadline, and queues its notifications in the same transaction (the outbox)."""

# One file to open: every verb of the event loop, by concern in the modules beside this one.

# 12345 hotline orders (hotline.py), imported last: they use the verbs above
from wangge.cases.hotline import (  # noqa: E402, F401
    OrderIn,
    answers_xlsx,
    check_orders,
    import_checked,
    import_orders,
    repeat_of,
)
from wangge.cases.hotline import import_one as import_order  # noqa: E402, F401
from wangge.cases.hotline import template_xlsx as hotline_template_xlsx  # noqa: E402, F401
from wangge.cases.services.access import (  # noqa: F401
    department_q,
    figure_cases,
    get_case_or_404,
    is_handler,
    public_cases,
    public_photo,
    visible_cases,
)
from wangge.cases.services.actions import (  # noqa: F401
    ACTIONS,
    StepIn,
    perform,
)
from wangge.cases.services.catalogue import (  # noqa: F401
    CATALOGUE_SECONDS,
    answers,
    catalogue,
    categories,
    category_by_key,
    clean_attributes,
    forget_caches,
)
from wangge.cases.services.deadlines import (  # noqa: F401
    light,
)
from wangge.cases.services.disputes import (  # noqa: F401
    DISPUTE_RISKS,
    close_by_dispute,
    dispute_of,
    is_dispute,
    link_dispute,
    open_dispute,
)
from wangge.cases.services.duplicates import (  # noqa: F401
    FOLLOW_SALT,
    PublicHint,
    RepeatGroup,
    follow,
    follow_by_phone,
    nearby_hints,
    nearby_open,
    repeat_group,
)
from wangge.cases.services.intake import (  # noqa: F401
    CODE_ALPHABET,
    ReportIn,
    clean_report,
    grid_point,
    report,
)
from wangge.cases.services.notices import (  # noqa: F401  # noqa: F401
    follow_url,
    hotline_answer,
    short_follow_url,
)
from wangge.cases.services.return_calls import (  # noqa: F401
    OUTCOMES as RETURN_CALL_OUTCOMES,
)
from wangge.cases.services.return_calls import (  # noqa: F401
    phone_to_call,
    return_call,
    return_calls_due,
)
from wangge.cases.services.routing import (  # noqa: F401
    Route,
    route,
)
from wangge.cases.services.states import (  # noqa: F401
    OPEN,
    OPEN_NOW,
    STAGE_OF,
    A,
    S,
)
from wangge.cases.services.steps import (  # noqa: F401
    check_photo,
    save_photo,
)
from wangge.cases.services.sweep import (  # noqa: F401
    more_due_than_a_batch,
    sweep,
)
from wangge.cases.services.workflow import (  # noqa: F401
    REJECT_REASONS,
    accept,
    add_note,
    cannot_solve,
    decide_extension,
    decide_request,
    dispatch,
    handle,
    handle_together,
    mark_duplicate,
    place,
    rate,
    reject,
    request_extension,
    request_suspension,
    request_unsolvable,
    resume,
    return_case,
    site_visit,
    supervise,
    suspend,
    verify,
    visit_required_open,
)

# isort: split
# the leader's screen (screen.py) and the daily tallies it sums (tallies.py), imported last: they use the
# filters, which use the states above
from wangge.cases import analysis  # noqa: E402, F401
from wangge.cases.figures import Period  # noqa: E402, F401
from wangge.cases.screen import CasesOnScreen, outcome_figures, screen_figures, worker_record  # noqa: E402, F401
from wangge.cases.tallies import rebuild as rebuild_tallies  # noqa: E402, F401
from wangge.cases.tallies import summed as tallied_figures  # noqa: E402, F401
from wangge.cases.tallies import summed_by_grid as tallied_by_grid  # noqa: E402, F401
