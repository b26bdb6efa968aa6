from django.urls import path

from wangge.grids import views

app_name = "grids"
urlpatterns = [
    path("", views.tree, name="tree"),
    path("export.xlsx", views.grid_list_xlsx, name="list_xlsx"),
    path("map/", views.my_map, name="my_map"),
    path("import/", views.import_view, name="import"),
    path("<str:code>/", views.grid_detail, name="grid_detail"),
    path("<str:code>/children/", views.tree_children, name="tree_children"),
    path("<str:code>/map/", views.grid_map, name="grid_map"),
    path("<str:code>/geojson/", views.grid_geojson, name="grid_geojson"),
    path("<str:code>/board/", views.board, name="board"),
    path("<str:code>/coverage/", views.coverage, name="coverage"),
    path("<str:code>/export.geojson", views.export_geojson, name="export_geojson"),
    path("<str:code>/export.xlsx", views.export_xlsx, name="export_xlsx"),
    path("<str:code>/new/", views.grid_create, name="grid_create"),
    path("<str:code>/edit/", views.grid_edit, name="grid_edit"),
    path("<str:code>/close/", views.grid_close, name="grid_close"),
    path("<str:code>/split/", views.grid_split, name="grid_split"),
    path("<str:code>/merge/", views.grid_merge, name="grid_merge"),
    path("<str:code>/roles/new/", views.assign_role, name="assign_role"),
    path("<str:code>/roles/<int:assignment_id>/end/", views.end_role, name="end_role"),
]
