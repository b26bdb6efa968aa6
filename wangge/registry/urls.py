from django.urls import path

from wangge.registry import import_views, selfservice_views, views

app_name = "registry"
urlpatterns = [
    path("", views.archive_home, name="home"),
    path("grids/<str:code>/", views.grid_archive, name="grid_archive"),
    path("grids/<str:code>/points/", views.grid_points, name="grid_points"),
    path("persons/", views.person_list, name="person_list"),
    path("supervised/", views.supervised, name="supervised"),
    path("persons/<int:person_id>/", views.person_detail, name="person_detail"),
    path("persons/<int:person_id>/edit/", views.person_edit, name="person_edit"),
    path("persons/<int:person_id>/unmask/", views.person_unmask, name="person_unmask"),
    path(
        "persons/<int:person_id>/changes/<int:change_id>/unmask/",
        views.person_change_unmask,
        name="person_change_unmask",
    ),
    path("households/", views.household_list, name="household_list"),
    path("households/<int:household_id>/", views.household_detail, name="household_detail"),
    path("households/<int:household_id>/members/new/", views.person_create, name="person_create"),
    path("grids/<str:code>/households/new/", views.household_create, name="household_create"),
    path("households/<int:household_id>/hazards/new/", views.hazard_create, name="hazard_create"),
    path("persons/<int:person_id>/groups/new/", views.membership_create, name="membership_create"),
    path(
        "persons/<int:person_id>/groups/<int:membership_id>/end/", views.membership_end, name="membership_end"
    ),
    path("hazards/", views.hazard_list, name="hazard_list"),
    path("roster/", views.roster, name="roster"),
    path("organisations/", views.organisation_list, name="organisation_list"),
    path("organisations/<int:org_id>/edit/", views.organisation_edit, name="organisation_edit"),
    path("grids/<str:code>/organisations/new/", views.organisation_create, name="organisation_create"),
    path("me/", selfservice_views.my_household, name="me"),
    path("me/members/<int:person_id>/", selfservice_views.my_household, name="me_member"),
    path("proposals/", selfservice_views.proposals, name="proposals"),
    path("proposals/<int:change_id>/decide/", selfservice_views.decide, name="proposal_decide"),
    path("hazards/<int:hazard_id>/fix/", views.hazard_fix, name="hazard_fix"),
    path("import/", import_views.upload, name="import"),
    path("import/template.xlsx", import_views.template, name="import_template"),
    path("import/<int:job_id>/", import_views.job_detail, name="import_job"),
    path("import/<int:job_id>/mapping/", import_views.mapping, name="import_mapping"),
    path("import/<int:job_id>/errors.xlsx", import_views.job_errors, name="import_errors"),
    path("import/<int:job_id>/commit/", import_views.job_commit, name="import_commit"),
    path("import/<int:job_id>/tags/", import_views.job_tags, name="import_tags"),
    path(
        "import/<int:job_id>/include-set-aside/",
        import_views.job_include_set_aside,
        name="import_include_set_aside",
    ),
]
