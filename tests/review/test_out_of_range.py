"""Ids and page numbers that no database integer can hold answer 404/422, never 500."""

from __future__ import annotations

import pytest

HUGE = "9" * 30
OVER = str(2**63)


@pytest.mark.parametrize("path", [
    f"/api/inbox?page={OVER}", f"/inbox?page={OVER}", f"/api/inbox?per_page={OVER}", "/api/inbox?page=-1",
    f"/items/{HUGE}", f"/items/{OVER}", f"/alerts/{HUGE}", f"/api/drafts/{HUGE}", f"/digests/{HUGE}/body",
    f"/digests/{HUGE}", f"/drafts/{HUGE}", f"/api/items/{HUGE}", f"/api/alerts/{HUGE}", "/items/0", "/alerts/-3",
])
def test_out_of_range_gets(path, client_for):  # type: ignore[no-untyped-def]
    client, _ = client_for("adm")
    response = client.get(path, follow_redirects=False)
    assert response.status_code in (404, 422), response.text


@pytest.mark.parametrize("path", [
    f"/api/alerts/{HUGE}/assign", f"/api/alerts/{OVER}/status", f"/api/items/{HUGE}/labels",
    f"/api/drafts/{HUGE}/review", f"/api/alerts/{HUGE}/drafts",
])
def test_out_of_range_api_posts(path, client_for):  # type: ignore[no-untyped-def]
    client, token = client_for("adm")
    response = client.post(path, json={"status": "closed", "version": 1, "verdict": "confirmed"},
                           headers={"X-CSRF-Token": token})
    assert response.status_code in (404, 422), response.text


@pytest.mark.parametrize("path", [f"/items/{HUGE}/labels", f"/alerts/{HUGE}/status", f"/drafts/{HUGE}/review",
                                  f"/alerts/{HUGE}/drafts"])
def test_out_of_range_forms(path, client_for):  # type: ignore[no-untyped-def]
    client, token = client_for("adm")
    response = client.post(path, data={"status": "closed", "version": "1", "action": "confirmed",
                                       "csrf_token": token}, follow_redirects=False)
    assert response.status_code in (404, 422), response.text


def test_an_out_of_range_version_is_refused(client_for):  # type: ignore[no-untyped-def]
    client, token = client_for("adm")
    response = client.post("/api/drafts/1/review", json={"version": int(OVER)}, headers={"X-CSRF-Token": token})
    assert response.status_code in (404, 422)
