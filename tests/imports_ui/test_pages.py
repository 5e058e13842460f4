"""The Imports pages: uploading through the form (plain post and the JSON answer imports.js reads) reaches
succeeded in the embedded eager mode and the history shows the counts; an unknown layout goes through the mapping
form to a saved template and an import; viewers and clients read the history but cannot upload; another tenant's
batch, error report or template is a 404; clients see only the batches of their granted brands."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import Role
from metrics.ingestion.keys import BEIJING
from metrics.models import ImportBatch, MappingTemplate, Post
from metrics.views.imports import PENDING_SESSION_KEY
from tests.factories import BrandFactory, ImportBatchFactory, MappingTemplateFactory
from tests.imports_ui.conftest import ODD_HEADERS, XHS_NOTES, odd_csv

pytestmark = pytest.mark.django_db

IMPORTS = "/imports/"


def upload_data(brand, *paths, **extra):
    files = [SimpleUploadedFile(Path(p).name, Path(p).read_bytes()) for p in paths]
    return {
        "files": files,
        "brand": brand.pk,
        "platform": "",
        "as_of": "2026-07-01T10:00",
        "mode": ImportBatch.Mode.VALID_ROWS,
        **extra,
    }


def history_row(html: str, batch_id: int) -> str:
    match = re.search(rf'<tr data-batch="{batch_id}".*?</tr>', html, flags=re.S)
    assert match, f"no history row for batch {batch_id}"
    return match.group(0)


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


# ----------------------------------------------------------------------------------------------------- upload


def test_imports_url_is_the_menu_entry(marketer_page):
    assert reverse("imports") == IMPORTS
    response = marketer_page.get(IMPORTS)
    assert response.status_code == 200
    assert 'data-nav="imports"' in response.content.decode()
    assert 'class="active"' in re.search(r'<a [^>]*data-nav="imports"[^>]*>', response.content.decode()).group(0)


def test_form_upload_reaches_succeeded_and_the_history_shows_the_counts(
    marketer_page, brand, django_capture_on_commit_callbacks
):
    """A plain multipart post (no JavaScript) imports the file and redirects back; the history row names the
    uploader, the file, the platform and report, the rows and posts created, and the status."""
    with django_capture_on_commit_callbacks(execute=True):
        response = marketer_page.post(IMPORTS, upload_data(brand, XHS_NOTES))
    assert response.status_code == 302 and response.url == IMPORTS
    batch = ImportBatch.objects.get()
    assert batch.status == ImportBatch.Status.SUCCEEDED, batch.message
    assert batch.uploaded_by == marketer_page.membership.user
    assert (batch.platform, batch.report_kind, batch.rows_total, batch.posts_created) == ("xiaohongshu", "notes", 8, 8)
    assert batch.as_of == dt.datetime(2026, 7, 1, 10, 0, tzinfo=BEIJING)  # the form's time is Beijing time

    page = marketer_page.get(IMPORTS)
    html = page.content.decode()
    assert "succeeded" in text(" ".join(str(m) for m in page.context["messages"])).lower() or "Succeeded" in html
    row = text(history_row(html, batch.pk))
    assert XHS_NOTES.name in row
    assert "Xiaohongshu (RED)" in row and "Note list" in row
    assert "8 / 8" in row  # rows imported / read
    assert "8 / 0" in row  # posts created / updated
    assert "Succeeded" in row
    assert marketer_page.membership.user.get_full_name() in row


def test_several_files_in_one_post_make_one_batch_each(
    marketer_page, brand, tmp_path, django_capture_on_commit_callbacks
):
    other = odd_csv(tmp_path / "x.csv")
    with django_capture_on_commit_callbacks(execute=True):
        response = marketer_page.post(IMPORTS, upload_data(brand, XHS_NOTES, other))
    assert response.url.startswith("/imports/mapping/?upload=")  # the unknown one is asked about next
    assert ImportBatch.objects.get().status == ImportBatch.Status.SUCCEEDED
    assert len(marketer_page.session[PENDING_SESSION_KEY]) == 1


def test_the_same_file_twice_is_a_duplicate_that_changes_nothing(
    marketer_page, brand, django_capture_on_commit_callbacks
):
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            marketer_page.post(IMPORTS, upload_data(brand, XHS_NOTES))
    first, second = ImportBatch.objects.order_by("id")
    assert first.status == second.status == ImportBatch.Status.SUCCEEDED
    assert second.duplicate_of_id == first.pk
    row = history_row(marketer_page.get(IMPORTS).content.decode(), second.pk)
    assert f'href="/imports/{first.pk}/"' in row and "duplicate of" in text(row)


@pytest.mark.django_db(transaction=True)
def test_the_json_answer_gives_the_api_url_that_the_progress_bar_polls(marketer_page, brand, org):
    """imports.js posts one file with Accept: application/json; it polls the API URL it gets back. Committed for
    real (no test transaction), the embedded eager mode has run the import before the answer."""
    response = marketer_page.post(IMPORTS, upload_data(brand, XHS_NOTES), HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    [result] = response.json()["results"]
    batch = ImportBatch.objects.get()
    assert result["outcome"] == "succeeded" and result["batch"]["id"] == batch.pk
    assert result["batch"]["api_url"] == f"/api/v1/orgs/{org.slug}/imports/{batch.pk}/"
    assert result["batch"]["detail_url"] == f"/imports/{batch.pk}/"
    polled = marketer_page.get(result["batch"]["api_url"], HTTP_ACCEPT="application/json").json()
    assert polled["status"] == "succeeded"
    assert polled["progress"] == {"done": 8, "total": 8, "fraction": 1.0}
    assert not list(marketer_page.get(IMPORTS).context["messages"])  # the JSON path leaves no flash messages


def test_a_running_batch_shows_a_progress_bar_that_polls_the_api(marketer_page, brand, org):
    batch = ImportBatchFactory(organization=org, brand=brand, status=ImportBatch.Status.RUNNING, rows_total=None)
    html = marketer_page.get(IMPORTS).content.decode()
    row = history_row(html, batch.pk)
    assert f'data-poll="/api/v1/orgs/{org.slug}/imports/{batch.pk}/"' in row
    assert 'role="progressbar"' in row
    done = ImportBatchFactory(organization=org, brand=brand)
    assert "data-poll" not in history_row(marketer_page.get(IMPORTS).content.decode(), done.pk)


def test_an_invalid_form_says_what_is_missing(marketer_page, brand):
    response = marketer_page.post(IMPORTS, {"brand": brand.pk, "mode": "valid_rows"})
    assert response.status_code == 400
    assert "files" in response.context["upload_form"].errors
    assert not ImportBatch.objects.exists()
    json_response = marketer_page.post(
        IMPORTS, {"brand": brand.pk, "mode": "valid_rows"}, HTTP_ACCEPT="application/json"
    )
    assert json_response.status_code == 400 and "files" in json_response.json()["errors"]


def test_a_brand_of_another_organization_is_refused(marketer_page, other_org):
    theirs = BrandFactory(organization=other_org)
    response = marketer_page.post(IMPORTS, upload_data(theirs, XHS_NOTES))
    assert response.status_code == 400 and "brand" in response.context["upload_form"].errors
    assert not ImportBatch.objects.exists()


def test_an_unreadable_file_becomes_a_failed_batch_whose_message_says_why(
    marketer_page, brand, tmp_path, django_capture_on_commit_callbacks
):
    broken = tmp_path / "笔记列表明细表.xlsx"
    broken.write_bytes(b"PK\x03\x04 this is not a workbook")
    with django_capture_on_commit_callbacks(execute=True):
        marketer_page.post(IMPORTS, upload_data(brand, broken))
    batch = ImportBatch.objects.get()
    assert batch.status == ImportBatch.Status.FAILED and batch.message
    row = text(history_row(marketer_page.get(IMPORTS).content.decode(), batch.pk))
    assert "Failed" in row and batch.message[:30] in row


# ---------------------------------------------------------------------------------------------------- mapping


def test_an_unknown_file_goes_through_the_mapping_form_to_a_template_and_an_import(
    marketer_page, brand, org, tmp_path, django_capture_on_commit_callbacks
):
    """Unknown headers → the mapping form (first rows, guesses pre-selected) → save template → imported; the next
    file with the same headers is imported with the template at once."""
    path = odd_csv(tmp_path / "自制报表.csv")
    response = marketer_page.post(IMPORTS, upload_data(brand, path, platform=""))
    assert response.status_code == 302 and response.url.startswith("/imports/mapping/?upload=")
    assert not ImportBatch.objects.exists()  # nothing failed: the file waits for its mapping

    form_page = marketer_page.get(response.url)
    assert form_page.status_code == 200
    html = form_page.content.decode()
    form = form_page.context["form"]
    assert [header for header, _bound in form.columns()] == ODD_HEADERS
    assert form["col_2"].value() == "views" and form["col_3"].value() == "likes"  # guessed
    assert form["col_0"].value() == ""  # 作品名 is not guessed
    assert re.search(r'<option value="views" selected>', html)
    assert "夏日清单" in html and "2026-06-01 10:00" in html  # the preview of the first rows
    assert 'value="" selected>' in html  # ignore
    assert "Views / reads / plays" in html and "阅读/播放量" in html  # bilingual catalog labels

    data = {
        "upload": form_page.context["token"],
        "name": "自制作品表",
        "platform": "kuaishou",
        "level": "post",
        "basis": "cumulative",
        "save_template": "on",
        "col_0": "title",
        "col_1": "published_at",
        "col_2": "views",
        "col_3": "likes",
        "col_4": "",
    }
    with django_capture_on_commit_callbacks(execute=True):
        saved = marketer_page.post(reverse("import-mapping"), data)
    assert saved.status_code == 302 and saved.url == IMPORTS
    template = MappingTemplate.objects.get()
    assert template.organization_id == org.pk and template.created_by == marketer_page.membership.user
    assert template.headers == ODD_HEADERS
    assert template.mapping == {"作品名": "title", "发布于": "published_at", "播放量": "views", "点赞": "likes"}
    batch = ImportBatch.objects.get()
    assert batch.status == ImportBatch.Status.SUCCEEDED, batch.message
    assert batch.mapping_template == template and batch.platform == "kuaishou"
    assert set(Post.objects.values_list("title", flat=True)) == {"夏日清单", "冬季清单"}
    assert PENDING_SESSION_KEY not in marketer_page.session or not marketer_page.session[PENDING_SESSION_KEY]

    page = marketer_page.get(IMPORTS).content.decode()
    assert "自制作品表" in text(history_row(page, batch.pk))  # the report is named after the template
    assert f'<tr data-template="{template.pk}">' in page

    later = odd_csv(tmp_path / "later" / "自制报表2.csv", rows=[("秋季清单", "2026-06-03 09:00", "50", "2", "")])
    with django_capture_on_commit_callbacks(execute=True):
        again = marketer_page.post(IMPORTS, upload_data(brand, later))
    assert again.url == IMPORTS
    second = ImportBatch.objects.latest("id")
    assert second.status == ImportBatch.Status.SUCCEEDED and second.mapping_template == template


def test_the_mapping_form_says_what_is_wrong(marketer_page, brand, tmp_path):
    response = marketer_page.post(IMPORTS, upload_data(brand, odd_csv(tmp_path / "odd.csv")))
    token = response.url.split("upload=")[1]
    base = {"upload": token, "name": "x", "platform": "kuaishou", "level": "post", "basis": "cumulative"}

    no_key = marketer_page.post(reverse("import-mapping"), {**base, "col_2": "views"})
    assert no_key.status_code == 400
    assert "Each row must name its post" in " ".join(no_key.context["form"].non_field_errors())

    twice = marketer_page.post(
        reverse("import-mapping"), {**base, "col_0": "title", "col_2": "views", "col_3": "views"}
    )
    assert "“播放量” and “点赞” both map to" in " ".join(twice.context["form"].non_field_errors())

    daily = marketer_page.post(
        reverse("import-mapping"), {**base, "basis": "daily", "col_0": "title", "col_2": "views"}
    )
    assert "Daily numbers need the day of each row" in " ".join(daily.context["form"].non_field_errors())

    nothing = marketer_page.post(reverse("import-mapping"), base)
    assert "Map at least one column" in " ".join(nothing.context["form"].non_field_errors())
    assert not MappingTemplate.objects.exists() and not ImportBatch.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_mapping_not_saved_as_a_template_is_used_once(marketer_page, brand, tmp_path):
    """Unticked "save as template": in the embedded mode the import has run when the answer comes, and the
    template it used is deleted."""
    response = marketer_page.post(IMPORTS, upload_data(brand, odd_csv(tmp_path / "odd.csv")))
    token = response.url.split("upload=")[1]
    marketer_page.post(
        reverse("import-mapping"),
        {
            "upload": token,
            "name": "once",
            "platform": "douyin",
            "level": "post",
            "basis": "cumulative",
            "col_0": "title",
            "col_2": "views",
        },
    )
    batch = ImportBatch.objects.get()
    assert batch.status == ImportBatch.Status.SUCCEEDED, batch.message
    assert not MappingTemplate.objects.exists()


def test_a_pending_file_can_be_discarded_and_its_copy_is_deleted(marketer_page, brand, tmp_path, media):
    response = marketer_page.post(IMPORTS, upload_data(brand, odd_csv(tmp_path / "odd.csv")))
    token = response.url.split("upload=")[1]
    stored = Path(media) / marketer_page.session[PENDING_SESSION_KEY][token]["path"]
    assert stored.exists()
    assert "Files waiting for a column mapping" in marketer_page.get(IMPORTS).content.decode()
    gone = marketer_page.post(reverse("import-mapping"), {"upload": token, "discard": "1"})
    assert gone.status_code == 302 and not stored.exists()
    assert marketer_page.get(f"{reverse('import-mapping')}?upload={token}").status_code == 302  # no longer waiting


def test_a_pending_file_belongs_to_the_session_that_uploaded_it(marketer_page, page_as, brand, tmp_path):
    response = marketer_page.post(IMPORTS, upload_data(brand, odd_csv(tmp_path / "odd.csv")))
    stranger = page_as(Role.MARKETER)
    assert stranger.get(response.url).status_code == 302  # not in their session: back to the Imports page


def test_templates_are_listed_and_deleted_by_marketers(marketer_page, org):
    template = MappingTemplateFactory(organization=org, name="老格式", created_by=marketer_page.membership.user)
    page = marketer_page.get(IMPORTS).content.decode()
    assert "老格式" in page and f'action="/imports/templates/{template.pk}/delete/"' in page
    confirm = marketer_page.get(reverse("import-template-delete", kwargs={"pk": template.pk}))
    assert confirm.status_code == 200 and "老格式" in confirm.content.decode()
    deleted = marketer_page.post(reverse("import-template-delete", kwargs={"pk": template.pk}))
    assert deleted.status_code == 302 and not MappingTemplate.objects.exists()


# ---------------------------------------------------------------------------------------------- one batch


def test_the_batch_page_shows_its_counts_and_first_errors(marketer_page, org, brand):
    errors = [
        {"row": 5, "column": "点赞", "value": "abc", "message": "Not a number.", "level": "error"},
        {"row": None, "column": None, "value": None, "message": "3 rows were blank.", "level": "warning"},
    ]
    batch = ImportBatchFactory(
        organization=org,
        brand=brand,
        rows_total=9,
        rows_ok=8,
        rows_error=1,
        posts_created=7,
        posts_updated=1,
        errors=errors,
        message="Imported 8 of 9 rows.",
    )
    response = marketer_page.get(reverse("import-detail", kwargs={"pk": batch.pk}))
    assert response.status_code == 200
    html = response.content.decode()
    table = text(re.search(r'<table class="data batch-errors">.*?</table>', html, flags=re.S).group(0))
    assert "5 点赞 abc Not a number." in table
    assert "3 rows were blank." in table
    assert re.search(r'data-count="posts_created">.*?<span class="kpi-value">7</span>', html, flags=re.S)
    assert f'href="/imports/{batch.pk}/errors.csv"' in html

    report = marketer_page.get(reverse("import-errors-csv", kwargs={"pk": batch.pk}))
    assert report["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(report.content.decode("utf-8-sig"))))
    assert rows[0] == ["row", "column", "value", "message", "level"]
    assert rows[1] == ["5", "点赞", "abc", "Not a number.", "error"]
    assert len(rows) == 3


def test_another_tenants_batch_errors_and_template_are_404(marketer_page, other_org):
    theirs = ImportBatchFactory(organization=other_org, errors=[{"row": 1, "message": "secret"}])
    template = MappingTemplateFactory(organization=other_org)
    for url in (
        reverse("import-detail", kwargs={"pk": theirs.pk}),
        reverse("import-errors-csv", kwargs={"pk": theirs.pk}),
        reverse("import-template-delete", kwargs={"pk": template.pk}),
    ):
        assert marketer_page.get(url).status_code == 404, url
    assert marketer_page.post(reverse("import-template-delete", kwargs={"pk": template.pk})).status_code == 404
    assert MappingTemplate.objects.filter(pk=template.pk).exists()
    assert f'data-batch="{theirs.pk}"' not in marketer_page.get(IMPORTS).content.decode()


# ---------------------------------------------------------------------------------------------------- roles


@pytest.mark.parametrize("role", [Role.VIEWER, Role.CLIENT])
def test_viewers_and_clients_read_the_history_but_cannot_upload(page_as, role, org, brand):
    client = page_as(role, brands=[brand] if role == Role.CLIENT else ())
    batch = ImportBatchFactory(organization=org, brand=brand)
    response = client.get(IMPORTS)
    assert response.status_code == 200
    html = response.content.decode()
    assert f'data-batch="{batch.pk}"' in html
    assert "data-upload-form" not in html and 'type="file"' not in html
    assert "mapping-templates" not in html
    refused = client.post(IMPORTS, upload_data(brand, XHS_NOTES))
    assert refused.status_code == 403
    assert ImportBatch.objects.count() == 1
    assert client.get(reverse("import-mapping")).status_code == 403
    template = MappingTemplateFactory(organization=org)
    assert client.post(reverse("import-template-delete", kwargs={"pk": template.pk})).status_code == 403


def test_a_client_sees_only_the_batches_of_granted_brands(page_as, org, brand):
    other = BrandFactory(organization=org, name="Other brand", slug="other-brand")
    client = page_as(Role.CLIENT, brands=[brand])
    mine = ImportBatchFactory(organization=org, brand=brand)
    hidden = ImportBatchFactory(organization=org, brand=other)
    html = client.get(IMPORTS).content.decode()
    assert f'data-batch="{mine.pk}"' in html and f'data-batch="{hidden.pk}"' not in html
    assert "Other brand" not in html  # nor in the brand filter
    assert client.get(reverse("import-detail", kwargs={"pk": hidden.pk})).status_code == 404
    assert client.get(reverse("import-errors-csv", kwargs={"pk": hidden.pk})).status_code == 404
    assert client.get(reverse("import-detail", kwargs={"pk": mine.pk})).status_code == 200


# ----------------------------------------------------------------------------------------------- history


def test_the_history_is_newest_first_filtered_and_paginated(marketer_page, org, brand):
    other = BrandFactory(organization=org, name="Second", slug="second")
    failed = ImportBatchFactory(organization=org, brand=other, status=ImportBatch.Status.FAILED)
    batches = [ImportBatchFactory(organization=org, brand=brand) for _ in range(26)]
    page = marketer_page.get(IMPORTS)
    ids = [row["batch"].pk for row in page.context["rows"]]
    assert len(ids) == 25 and ids[0] == batches[-1].pk and ids == sorted(ids, reverse=True)
    assert "page=2" in page.content.decode()
    second = marketer_page.get(IMPORTS, {"page": 2})
    assert [row["batch"].pk for row in second.context["rows"]] == [batches[0].pk, failed.pk]
    only_failed = marketer_page.get(IMPORTS, {"status": "failed"})
    assert [row["batch"].pk for row in only_failed.context["rows"]] == [failed.pk]
    by_brand = marketer_page.get(IMPORTS, {"brand": other.pk})
    assert [row["batch"].pk for row in by_brand.context["rows"]] == [failed.pk]
    assert "status=failed&amp;page=" not in only_failed.content.decode()  # one page: no pager


def test_the_page_speaks_chinese(marketer_page, brand, org):
    from django.conf import settings

    ImportBatchFactory(organization=org, brand=brand, platform="xiaohongshu", report_kind="notes")
    marketer_page.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    response = marketer_page.get(IMPORTS)
    html = response.content.decode()
    assert '<html lang="zh-hans">' in html
    assert "小红书笔记列表明细表" in html  # the report's Chinese name
    assert "小红书" in html
