"""The catalog app: authors, books, reviews, orders and the shop's settings."""

from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "catalog"
