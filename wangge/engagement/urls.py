from django.urls import path

from wangge.engagement import views

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
]
