"""The JSON endpoints. Every answer is computed from the database on each request."""

from decimal import ROUND_HALF_UP, Decimal

from django.http import Http404, HttpResponse, JsonResponse

from catalog.models import Author, Book, Order, Review, Setting
from catalog.startup import is_ready

PAGE_SIZE = 50
RECENT_ORDERS = 50
CENT = Decimal("0.01")


def money(value):
    """A decimal amount as the API writes it: two places, half up."""
    return str(Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP))


def mean(total, count):
    """`total / count` as money, or None without anything to average."""
    if not count:
        return None
    return money(Decimal(total) / Decimal(count))


def positive_int(request, name, default, most):
    """A query parameter as an int in 1..most (400 on anything else)."""
    raw = request.GET.get(name, str(default))
    if not raw.isdigit() or not 1 <= int(raw) <= most:
        return None
    return int(raw)


def healthz(request):
    return HttpResponse("ok", content_type="text/plain")


def readyz(request):
    """200 once the schema is migrated (serve.py migrates when the database appears)."""
    return HttpResponse("ready" if is_ready() else "starting", status=200 if is_ready() else 503)


def bad_request(message):
    return JsonResponse({"error": message}, status=400)


def book_list(request):
    """One page of the catalogue, by id, with each book's author."""
    page = positive_int(request, "page", 1, 100000)
    if page is None:
        return bad_request("page must be a positive integer")
    start = (page - 1) * PAGE_SIZE
    books = Book.objects.order_by("id")[start : start + PAGE_SIZE]
    rows = [
        {
            "id": book.id,
            "title": book.title,
            "author": book.author.name,
            "genre": book.genre,
            "year": book.year,
            "price": money(book.price),
        }
        for book in books
    ]
    return JsonResponse({"page": page, "books": rows})


def book_reviews(request, book_id):
    """A book's newest reviews (newest first; `limit`, default 10, at most 50)."""
    limit = positive_int(request, "limit", 10, 50)
    if limit is None:
        return bad_request("limit must be 1 to 50")
    if not Book.objects.filter(id=book_id).exists():
        raise Http404("no such book")
    reviews = list(Review.objects.filter(book_id=book_id).order_by("-created", "-id"))[:limit]
    rows = [{"id": r.id, "rating": r.rating, "created": r.created.isoformat()} for r in reviews]
    return JsonResponse({"book": book_id, "reviews": rows})


def author_detail(request, author_id):
    """An author with the number of their books and of the reviews of those books."""
    author = Author.objects.filter(id=author_id).first()
    if author is None:
        raise Http404("no such author")
    return JsonResponse(
        {
            "id": author.id,
            "name": author.name,
            "country": author.country,
            "books": len(author.books.all()),
            "reviews": len(Review.objects.filter(book__author_id=author.id)),
        }
    )


def customer_orders(request):
    """Every order of one customer (newest first) and what they spent in all."""
    email = request.GET.get("email", "")
    if not email:
        return bad_request("email is required")
    orders = Order.objects.filter(email=email).order_by("-created", "-id")
    rows = [
        {
            "id": order.id,
            "book": order.book_id,
            "quantity": order.quantity,
            "total": money(order.quantity * order.unit_price),
        }
        for order in orders
    ]
    spent = sum((Decimal(row["total"]) for row in rows), Decimal(0))
    return JsonResponse({"email": email, "orders": rows, "spent": money(spent)})


def vat_percent():
    """The shop's VAT rate in percent (the `vat_percent` setting, 0 when unset)."""
    setting = Setting.objects.filter(key="vat_percent").first()
    return Decimal(setting.value) if setting else Decimal(0)


def recent_orders(request):
    """The newest orders with their gross amount (VAT included)."""
    orders = Order.objects.order_by("-id")[:RECENT_ORDERS]
    rows = [
        {
            "id": order.id,
            "email": order.email,
            "quantity": order.quantity,
            "gross": money(order.quantity * order.unit_price * (100 + vat_percent()) / 100),
        }
        for order in orders
    ]
    return JsonResponse({"vat_percent": str(vat_percent()), "orders": rows})


def genre_report(request):
    """Per genre: books, their mean price, reviews and the mean rating."""
    stats = {}
    for book in Book.objects.iterator():
        entry = stats.setdefault(book.genre, {"books": 0, "price": 0, "reviews": 0, "rating": 0})
        entry["books"] += 1
        entry["price"] += book.price
    for review in Review.objects.select_related("book").iterator():
        entry = stats[review.book.genre]
        entry["reviews"] += 1
        entry["rating"] += review.rating
    rows = [
        {
            "genre": genre,
            "books": entry["books"],
            "avg_price": mean(entry["price"], entry["books"]),
            "reviews": entry["reviews"],
            "avg_rating": mean(entry["rating"], entry["reviews"]),
        }
        for genre, entry in sorted(stats.items())
    ]
    return JsonResponse({"genres": rows})
