import asyncio

from aiohttp.test_utils import TestClient, TestServer
from fakes import FakeUpstream

from dashboard.app import Dashboards, default_upstreams, make_app
from dashboard.client import Policy, Upstream

FAST = Policy(cap=4, attempt_timeout=0.2, attempts=2, backoff=0.01)


def orders(uid):
    return {"orders": [{"id": "o-1", "amount_cents": 500, "status": "paid"}]}


def recs(uid):
    return {"items": [{"sku": "a", "score": 0.2}, {"sku": "b", "score": 0.9}]}


def scenario(check, scripts=None, deadline=0.5):
    async def main():
        async with FakeUpstream() as p, FakeUpstream(orders) as o, FakeUpstream(recs) as r:
            for fake, script in zip((p, o, r), scripts or ({}, {}, {}), strict=True):
                fake.script.update(script)
            ups = {
                "profile": Upstream("profile", p.url, FAST),
                "orders": Upstream("orders", o.url, FAST),
                "recommendations": Upstream("recommendations", r.url, FAST),
            }
            app = make_app(Dashboards(ups, deadline=deadline))
            async with TestClient(TestServer(app)) as client:
                return await check(client, (p, o, r))

    return asyncio.run(main())


async def get(client, path):
    response = await client.get(path)
    return response.status, await response.json(content_type=None)


def test_health():
    async def check(client, fakes):
        response = await client.get("/healthz")
        assert response.status == 200
        assert sum(sum(f.calls.values()) for f in fakes) == 0

    scenario(check)


def test_full_dashboard():
    async def check(client, fakes):
        status, body = await get(client, "/dashboard/u1")
        assert status == 200
        assert body == {
            "user_id": "u1",
            "name": "n-u1",
            "tier": "gold",
            "orders": {"paid_count": 1, "paid_total_cents": 500},
            "recommendations": ["b", "a"],
            "degraded": [],
        }

    scenario(check)


def test_bad_id_is_400():
    async def check(client, fakes):
        status, _ = await get(client, "/dashboard/a.b")
        assert status == 400

    scenario(check)


def test_unknown_user_is_404():
    async def check(client, fakes):
        assert await get(client, "/dashboard/u1") == (404, {"error": "unknown user"})

    scenario(check, ({"u1": [(404, {}, 0)]}, {}, {}))


def test_profile_down_is_502():
    async def check(client, fakes):
        assert await get(client, "/dashboard/u1") == (502, {"error": "profile unavailable"})

    scenario(check, ({"u1": [(503, {}, 0)]}, {}, {}))


def test_optional_parts_degrade():
    async def check(client, fakes):
        status, body = await get(client, "/dashboard/u1")
        assert status == 200
        assert body["orders"] is None and body["recommendations"] is None
        assert body["degraded"] == ["orders", "recommendations"]

    scenario(check, ({}, {"u1": [(200, None, 2.0)]}, {"u1": [(404, {}, 0)]}))


def test_default_upstreams_have_the_briefs_caps():
    ups = default_upstreams()
    assert {n: u.policy.cap for n, u in ups.items()} == {
        "profile": 10,
        "orders": 6,
        "recommendations": 6,
    }
