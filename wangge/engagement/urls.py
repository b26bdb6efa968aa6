from django.urls import path

from wangge.engagement import views
from wangge.engagement import views_councils as councils
from wangge.engagement import views_keys as keys
from wangge.engagement import views_notices as notices
from wangge.engagement import views_partners as partners
from wangge.engagement import views_surveys as surveys
from wangge.engagement import views_volunteers as volunteers

app_name = "engagement"

urlpatterns = [
    path("", views.holder_list, name="holders"),
    path("me/", views.my_points, name="me"),
    path("people/<int:person_id>/", views.person_points, name="person"),
    path("accounts/<int:pk>/", views.holder, name="holder"),
    path("accounts/<int:pk>/earn/", views.holder_earn, name="earn"),
    path("accounts/<int:pk>/transfers/<int:transfer_pk>/correct/", views.transfer_correct, name="correct"),
    path("shops/", views.shop_list, name="shops"),
    path("shops/new/", views.shop_new, name="shop_new"),
    path("shops/<int:pk>/", views.shop, name="shop"),
    path("shops/<int:pk>/goods/", views.shop_goods_new, name="goods_new"),
    path("shops/<int:pk>/stock/", views.shop_stock, name="stock"),
    path("shops/<int:pk>/counter/", views.counter, name="counter"),
    path("shops/<int:pk>/counter/redeem/", views.counter_redeem, name="redeem"),
    path("receipts/<int:pk>/", views.receipt, name="receipt"),
    path("receipts/<int:pk>/undo/", views.receipt_undo, name="undo"),
    path("report/", views.report, name="report"),
    path("tasks/", partners.task_list, name="tasks"),
    path("tasks/new/", partners.task_new, name="task_new"),
    path("tasks/<int:pk>/withdraw/", partners.task_withdraw, name="task_withdraw"),
    path("partners/", partners.partner_list, name="partners"),
    path("partners/new/", partners.partner_new, name="partner_new"),
    path("partners/members/", partners.party_member_new, name="party_member_new"),
    path("partners/leaders/", partners.leader_new, name="leader_new"),
    path("me/services/", partners.my_services, name="my_services"),
    path("notices/", notices.notice_list, name="notices"),
    path("notices/new/", notices.notice_new, name="notice_new"),
    path("notices/<int:pk>/", notices.notice, name="notice"),
    path("notices/<int:pk>/withdraw/", notices.notice_withdraw, name="notice_withdraw"),
    path("me/notices/", notices.my_notices, name="my_notices"),
    path("surveys/", surveys.survey_list, name="surveys"),
    path("surveys/new/", surveys.survey_new, name="survey_new"),
    path("surveys/<int:pk>/", surveys.survey, name="survey"),
    path("surveys/<int:pk>/rounds/", surveys.round_new, name="round_new"),
    path("surveys/rounds/<int:pk>/", surveys.round_detail, name="survey_round"),
    path("surveys/sample/<int:pk>/", surveys.sample_answer, name="sample_answer"),
    path("councils/", councils.topic_list, name="topics"),
    path("councils/new/", councils.topic_new, name="topic_new"),
    path("councils/<int:pk>/", councils.topic, name="topic"),
    path("councils/<int:pk>/action/", councils.topic_action, name="topic_action"),
    path("keys/", keys.key_list, name="keys"),
    path("keys/new/", keys.key_new, name="key_new"),
    path("keys/<int:pk>/", keys.key, name="key"),
    path("keys/<int:pk>/consent.jpg", keys.key_consent, name="key_consent"),
    path("keys/<int:pk>/action/", keys.key_action, name="key_action"),
    path("me/keys/", keys.my_keys, name="my_keys"),
    path("teams/", volunteers.team_list, name="teams"),
    path("teams/new/", volunteers.team_new, name="team_new"),
    path("teams/<int:pk>/", volunteers.team, name="team"),
    path("teams/<int:pk>/members/", volunteers.team_member_add, name="member_add"),
    path("teams/<int:pk>/activities/", volunteers.activity_new, name="activity_new"),
    path("activities/", volunteers.activity_list, name="activities"),
    path("activities/<int:pk>/", volunteers.activity, name="activity"),
    path("activities/<int:pk>/sign-up/", volunteers.activity_sign_up, name="sign_up"),
    path("activities/<int:pk>/check-in/", volunteers.check_in, name="check_in"),
    path("activities/<int:pk>/sign-ups/<int:place_pk>/hours/", volunteers.hours_confirm, name="hours"),
    path("volunteers/<int:person_id>/", volunteers.volunteer, name="volunteer"),
    path("volunteers/<int:person_id>/certificate.pdf", volunteers.certificate, name="certificate"),
    path("me/volunteering/", volunteers.my_volunteering, name="my_volunteering"),
    path("me/volunteering/certificate.pdf", volunteers.my_certificate, name="my_certificate"),
]
