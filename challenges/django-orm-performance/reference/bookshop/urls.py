"""URL routes of the bookshop API."""

from django.urls import path

from catalog import views

urlpatterns = [
    path("healthz", views.healthz),
    path("readyz", views.readyz),
    path("api/books/", views.book_list),
    path("api/books/<int:book_id>/reviews/", views.book_reviews),
    path("api/authors/<int:author_id>/", views.author_detail),
    path("api/orders/", views.customer_orders),
    path("api/orders/recent/", views.recent_orders),
    path("api/reports/genres/", views.genre_report),
]
