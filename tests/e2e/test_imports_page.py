"""The Imports page in a real browser: drop a real Xiaohongshu export on the drop zone, upload it, watch its progress
bar reach 100 % and the history row turn to succeeded; then a file with unknown columns goes through the mapping
form. Screenshots (English and Chinese) go to test-output/screenshots/imports*.png."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import pytest

from accounts.models import Role
from metrics.models import ImportBatch, MappingTemplate
from tests.factories import BrandFactory, MembershipFactory, OrganizationFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "pw-kpiboard-1"  # tests.factories.UserFactory
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "exports"
XHS_NOTES = FIXTURES / "xiaohongshu" / "笔记列表明细表__wanjeans33-ai-briefcast.xlsx"  # 41 notes
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

DROP_FILE = """([name, type, b64]) => {
  const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
  const transfer = new DataTransfer();
  transfer.items.add(new File([bytes], name, {type}));
  return transfer;
}"""


@pytest.fixture
def tenant(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    org = OrganizationFactory(name="Demo Agency", slug="demo-e2e", kind="agency")
    brand = BrandFactory(organization=org, name="Glow Lab", slug="glow-lab")
    BrandFactory(organization=org, name="Lumi Beauty", slug="lumi", is_competitor=True)
    user = UserFactory(email="marketer@e2e.kpiboard.local", full_name="Mei Lin")
    MembershipFactory(organization=org, user=user, role=Role.MARKETER)
    return org, brand, user


def sign_in(page, live_server, email):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", email)
    page.fill("#id_password", PASSWORD)
    page.click("section.auth button[type=submit]")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def test_drop_a_real_export_and_watch_it_import(page, live_server, tenant, screenshot):
    """Drop → upload → the file's progress bar reaches 100 % and says succeeded → the history row is succeeded with
    the 41 notes created; the page is also looked at in Chinese."""
    org, brand, user = tenant
    sign_in(page, live_server, user.email)
    page.goto(f"{live_server.url}/imports/")
    assert page.locator("nav.mainnav a[data-nav=imports].active").count() == 1

    transfer = page.evaluate_handle(
        DROP_FILE, [XHS_NOTES.name, XLSX_TYPE, base64.b64encode(XHS_NOTES.read_bytes()).decode()]
    )
    page.dispatch_event("[data-dropzone]", "dragenter", {"dataTransfer": transfer})
    page.dispatch_event("[data-dropzone]", "drop", {"dataTransfer": transfer})
    assert page.evaluate("document.querySelector('input[type=file]').files.length") == 1
    assert XHS_NOTES.name in page.inner_text("[data-file-summary]")
    page.select_option("select[name=brand]", str(brand.pk))
    page.click("[data-upload-button]")

    item = page.locator(".upload-item").first
    item.locator("[data-progress] .progress[aria-valuenow='100']").wait_for()
    page.wait_for_selector(".upload-item[data-status=succeeded]")
    assert "41 / 41" in item.locator("[data-progress-text]").inner_text()
    assert "100 %" in item.locator("[data-progress-text]").inner_text()

    batch = ImportBatch.objects.get(organization=org)
    assert batch.status == ImportBatch.Status.SUCCEEDED and batch.posts_created == 41
    row = page.locator(f"#import-history tr[data-batch='{batch.pk}']")
    row.wait_for()
    assert row.get_attribute("data-status") == "succeeded"
    assert "Succeeded" in row.inner_text()
    assert "41 / 41" in row.inner_text()
    assert page.js_errors == []
    screenshot(page, "imports")

    page.click("button[data-lang=zh-hans]")
    page.wait_for_selector("html[lang=zh-hans]")
    screenshot(page, "imports-zh")
    page.goto(f"{live_server.url}/imports/{batch.pk}/")
    page.wait_for_selector("[data-count=posts_created]")
    screenshot(page, "imports-batch-zh")
    page.click("button[data-lang=en]")
    page.wait_for_selector("html[lang=en]")


def test_unknown_columns_are_mapped_once_and_imported(page, live_server, tenant, tmp_path, screenshot):
    """A single file with unknown columns leads to the mapping form with the guesses filled in; saving imports it."""
    org, brand, user = tenant
    odd = tmp_path / "自制作品表.csv"
    odd.write_bytes(
        "作品名,发布于,播放量,点赞,备注\r\n夏日清单,2026-06-01 10:00,1200,30,x\r\n冬季清单,2026-06-02 11:00,900,12,y\r\n".encode()
    )
    sign_in(page, live_server, user.email)
    page.goto(f"{live_server.url}/imports/")
    page.set_input_files("input[type=file]", str(odd))
    page.click("[data-upload-button]")
    page.wait_for_url(re.compile(r"/imports/mapping/\?upload="))
    assert page.input_value("select[name=col_2]") == "views"  # 播放量, guessed
    assert page.input_value("select[name=col_3]") == "likes"
    page.select_option("select[name=platform]", "kuaishou")
    page.select_option("select[name=col_0]", "title")
    page.select_option("select[name=col_1]", "published_at")
    page.fill("input[name=name]", "快手自制作品表")
    screenshot(page, "imports-mapping")
    page.click("button[name=import]")
    page.wait_for_url(re.compile(r"/imports/$"))
    template = MappingTemplate.objects.get(organization=org)
    batch = ImportBatch.objects.get(organization=org)
    assert batch.status == ImportBatch.Status.SUCCEEDED and batch.mapping_template == template
    assert page.locator(f"#import-history tr[data-batch='{batch.pk}'][data-status=succeeded]").count() == 1
    assert page.locator(f"#mapping-templates tr[data-template='{template.pk}']").count() == 1
    assert page.js_errors == []


def test_a_viewer_reads_the_history_and_a_batch_with_errors(page, live_server, tenant, screenshot):
    """A viewer sees the history (no upload form) and a failed batch's first errors with the CSV link."""
    from tests.factories import ImportBatchFactory

    org, brand, _user = tenant
    viewer = UserFactory(email="viewer@e2e.kpiboard.local", full_name="Wang Fang")
    MembershipFactory(organization=org, user=viewer, role=Role.VIEWER)
    errors = [
        {"row": 7, "column": "点赞", "value": "一百", "message": "Not a number: 一百.", "level": "error"},
        {"row": 9, "column": "首次发布时间", "value": "昨天", "message": "Not a date: 昨天.", "level": "error"},
    ]
    batch = ImportBatchFactory(
        organization=org,
        brand=brand,
        status=ImportBatch.Status.FAILED,
        platform="xiaohongshu",
        report_kind="notes",
        mode=ImportBatch.Mode.ALL_OR_NOTHING,
        rows_total=41,
        rows_error=2,
        errors=errors,
        message="2 rows could not be read; all or nothing: nothing was imported.",
    )
    sign_in(page, live_server, viewer.email)
    page.goto(f"{live_server.url}/imports/")
    assert page.locator("[data-upload-form]").count() == 0
    row = page.locator(f"#import-history tr[data-batch='{batch.pk}']")
    assert "Failed" in row.inner_text() and "2 problems (CSV)" in row.inner_text()
    screenshot(page, "imports-viewer")
    row.locator("td a").first.click()
    page.wait_for_url(re.compile(rf"/imports/{batch.pk}/$"))
    assert "Not a number: 一百." in page.inner_text("table.batch-errors")
    screenshot(page, "imports-batch-errors")
    assert page.js_errors == []
