"""The shop's data. Table and column names are fixed: the data is loaded into them from outside."""

from django.db import models


class Author(models.Model):
    name = models.CharField(max_length=100)
    country = models.CharField(max_length=2)


class Book(models.Model):
    title = models.CharField(max_length=200)
    author = models.ForeignKey(Author, related_name="books", on_delete=models.CASCADE)
    genre = models.CharField(max_length=30)
    year = models.IntegerField()
    price = models.DecimalField(max_digits=8, decimal_places=2)


class Review(models.Model):
    book = models.ForeignKey(Book, related_name="reviews", on_delete=models.CASCADE)
    rating = models.SmallIntegerField()
    created = models.DateField()

    class Meta:
        indexes = [models.Index(fields=["book", "-created", "-id"], name="review_book_newest")]


class Order(models.Model):
    email = models.CharField(max_length=100)
    book = models.ForeignKey(Book, related_name="orders", on_delete=models.CASCADE)
    quantity = models.IntegerField()
    unit_price = models.DecimalField(max_digits=8, decimal_places=2)
    created = models.DateField()


class Setting(models.Model):
    key = models.CharField(max_length=40, unique=True)
    value = models.CharField(max_length=200)
