"""The domain model: social accounts, content categories, posts, snapshots, period facts, account facts,
the daily rollup, import batches and mapping templates.

Numbers enter as *snapshots* (what a post's cumulative counters were at a collection time, as the platform
reported them: immutable) and become *period facts* (per post per day, the difference from the previous
collection) that the KPI engine sums. Daily reports (ad spend, account trends) write facts directly.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.tenancy import TenantModel
from metrics.catalog import ACCOUNT_COLUMN_METRICS, COLUMN_METRICS
from metrics.choices import AccountKind, ContentFormat, FactSource, MediaType, PaidKind, PlatformChoices, Traffic


def _metric_columns(name: str, keys: tuple[str, ...]) -> type[models.Model]:
    """An abstract model with one nullable float column per catalog metric: missing is NULL, never zero."""
    attrs = {key: models.FloatField(null=True, blank=True) for key in keys}
    attrs["__module__"] = __name__
    attrs["Meta"] = type("Meta", (), {"abstract": True})
    return type(name, (models.Model,), attrs)


PostMetricColumns = _metric_columns("PostMetricColumns", COLUMN_METRICS)
AccountMetricColumns = _metric_columns("AccountMetricColumns", ACCOUNT_COLUMN_METRICS)


class SocialAccount(TenantModel):
    """A presence on a platform: a brand's own account, an influencer it pays, or a competitor's account."""

    tenant_brand_path = "brand"

    brand = models.ForeignKey("accounts.Brand", on_delete=models.CASCADE, related_name="social_accounts")
    platform = models.CharField(_("platform"), max_length=20, choices=PlatformChoices.choices)
    handle = models.CharField(_("handle"), max_length=200)
    display_name = models.CharField(_("display name"), max_length=200, blank=True)
    platform_account_id = models.CharField(_("platform account id"), max_length=200, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=AccountKind.choices, default=AccountKind.BRAND)
    media_type = models.CharField(_("media type"), max_length=10, choices=MediaType.choices, default=MediaType.OWNED)
    is_competitor = models.BooleanField(_("competitor's account"), default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "brand", "platform", "handle"], name="uniq_account_handle")
        ]
        indexes = [models.Index(fields=["organization", "brand", "platform"], name="account_org_brand_platform")]
        ordering = ["platform", "handle"]
        verbose_name = _("social account")
        verbose_name_plural = _("social accounts")

    def __str__(self):
        return f"{self.get_platform_display()}: {self.display_name or self.handle}"


class ContentCategory(TenantModel):
    """A node of the organization's content category tree: category → sub-category → variant."""

    MAX_DEPTH = 3

    parent = models.ForeignKey("self", on_delete=models.CASCADE, null=True, blank=True, related_name="children")
    name = models.CharField(_("name"), max_length=120)
    name_zh = models.CharField(_("Chinese name"), max_length=120, blank=True)
    depth = models.PositiveSmallIntegerField(default=0, editable=False)
    path = models.CharField(max_length=400, editable=False, default="")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "parent", "name"], name="uniq_category_name"),
        ]
        indexes = [models.Index(fields=["organization", "path"], name="category_org_path")]
        ordering = ["path"]
        verbose_name = _("content category")
        verbose_name_plural = _("content categories")

    def __str__(self):
        return self.path or self.name

    def clean(self):
        if self.parent_id is not None:
            if self.parent.organization_id != self.organization_id:
                raise ValidationError({"parent": _("The parent belongs to another organization.")})
            if self.parent.depth + 1 >= self.MAX_DEPTH:
                raise ValidationError({"parent": _("Categories go three levels deep at most.")})
            ancestor = self.parent
            while ancestor is not None:
                if ancestor.pk == self.pk:
                    raise ValidationError({"parent": _("A category cannot be its own ancestor.")})
                ancestor = ancestor.parent

    def save(self, *args, **kwargs):
        self.depth = 0 if self.parent is None else self.parent.depth + 1
        self.path = self.name if self.parent is None else f"{self.parent.path} / {self.name}"
        super().save(*args, **kwargs)
        for child in self.children.all():  # keep descendants' paths in step with a rename
            child.save()

    def path_list(self) -> list[str]:
        return self.path.split(" / ")

    def label(self, language: str | None = None) -> str:
        return self.name_zh if (language or "").startswith("zh") and self.name_zh else self.name


class Post(TenantModel):
    """A content item on a platform: an article, a note, a video, a livestream, an ad."""

    tenant_brand_path = "brand"

    brand = models.ForeignKey("accounts.Brand", on_delete=models.CASCADE, related_name="posts")
    account = models.ForeignKey(SocialAccount, on_delete=models.CASCADE, related_name="posts")
    platform = models.CharField(_("platform"), max_length=20, choices=PlatformChoices.choices)
    # The natural key within (organization, brand, platform): "id:<platform id>", else "url:<url>", else
    # "title:<normalised title>|<published at, minute>"; the importer builds it (metrics.ingestion.keys).
    natural_key = models.CharField(max_length=255)
    platform_post_id = models.CharField(_("platform id"), max_length=200, blank=True)
    url = models.URLField(_("URL"), max_length=1000, blank=True)
    title = models.TextField(_("title"), blank=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    content_format = models.CharField(
        _("format"), max_length=20, choices=ContentFormat.choices, default=ContentFormat.POST
    )
    media_type = models.CharField(_("media type"), max_length=10, choices=MediaType.choices, default=MediaType.OWNED)
    paid_kind = models.CharField(_("paid kind"), max_length=20, choices=PaidKind.choices, blank=True, default="")
    traffic = models.CharField(_("traffic"), max_length=10, choices=Traffic.choices, default=Traffic.ORGANIC)
    cost = models.DecimalField(_("cost (CNY)"), max_digits=14, decimal_places=2, null=True, blank=True)
    effort_hours = models.DecimalField(_("effort (hours)"), max_digits=8, decimal_places=2, null=True, blank=True)
    campaign = models.ForeignKey(
        "campaigns.Campaign", on_delete=models.SET_NULL, null=True, blank=True, related_name="posts"
    )
    categories = models.ManyToManyField(ContentCategory, through="PostCategory", related_name="posts", blank=True)
    status = models.CharField(_("platform status"), max_length=40, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "brand", "platform", "natural_key"], name="uniq_post_natural_key"
            ),
        ]
        indexes = [
            # Covering: the KPI engine's post filters, counts and per-post joins read only the index (no heap).
            models.Index(
                fields=["organization", "brand", "published_at"],
                name="post_org_brand_pub_cov",
                include=["id", "account", "platform", "media_type", "paid_kind", "traffic", "content_format",
                         "campaign", "effort_hours"],
            ),
            models.Index(fields=["organization", "brand", "platform", "published_at"], name="post_org_brand_plat_pub"),
            models.Index(fields=["organization", "account"], name="post_org_account"),
        ]
        ordering = ["-published_at", "id"]
        verbose_name = _("post")
        verbose_name_plural = _("posts")

    def __str__(self):
        return (self.title or self.platform_post_id or self.url or f"#{self.pk}")[:80]

    def clean(self):
        if self.media_type != MediaType.PAID and self.paid_kind:
            raise ValidationError({"paid_kind": _("Only paid content has a paid kind.")})


class PostCategory(TenantModel):
    """A post tagged with a category (a post can carry several)."""

    tenant_brand_path = "post__brand"

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="taggings")
    category = models.ForeignKey(ContentCategory, on_delete=models.CASCADE, related_name="taggings")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "post", "category"], name="uniq_post_category")
        ]
        indexes = [models.Index(fields=["organization", "category", "post"], name="postcat_org_cat_post")]


class PostSnapshot(TenantModel, PostMetricColumns):
    """A post's cumulative counters at one collection time, as the platform reported them. Immutable."""

    tenant_brand_path = "post__brand"

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="snapshots")
    collected_at = models.DateTimeField(_("collected at"))
    batch = models.ForeignKey("ImportBatch", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    extra = models.JSONField(default=dict, blank=True)  # reported values that are not column metrics

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "post", "collected_at"], name="uniq_snapshot_post_time")
        ]
        ordering = ["post", "collected_at"]
        get_latest_by = "collected_at"

    def __str__(self):
        return f"{self.post_id} @ {self.collected_at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.pop("force_rewrite", False):
            raise ValidationError("Snapshots are immutable: import a new collection instead.")
        super().save(*args, **kwargs)


class PostDailyFact(TenantModel, PostMetricColumns):
    """What one post gained on one day (Beijing time): the KPI engine sums these.

    For cumulative exports the value is the last snapshot of the day minus the last snapshot before that day
    (the first snapshot counts from zero at publication; ``interval_start`` says from when). For daily reports
    it is the row of that day. A counter that went down is kept as a negative delta and flagged ``decreased``.
    The post's dimensions are copied here so that the engine's queries need no join.
    """

    tenant_brand_path = "brand"

    # The organization, brand and account are copies of the post's (the engine's queries need no join): the
    # loader and the facts service write them from the post. They carry no database constraint and no index of
    # their own (every query leads with the organization: the composite indexes serve them; deletes cascade in
    # the ORM), because on the largest table each constraint is a trigger per inserted row: a 1 M-row ad report
    # spent more time in those checks at commit than in the insert itself.
    organization = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="+",
                                     db_constraint=False, db_index=False)
    # The post carries no database constraint either: the loader writes facts only for the posts it has just
    # upserted in the same transaction, and deleting a post deletes its facts through the ORM's cascade. The
    # deferred check cost ~6 s at the COMMIT of a 1 M-row report; its index stays (the cascade's lookup).
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="daily_facts", db_constraint=False)
    brand = models.ForeignKey("accounts.Brand", on_delete=models.CASCADE, related_name="+", db_constraint=False,
                              db_index=False)
    # The account is the post's: deleting an account deletes its posts, and their facts go with them (the post's
    # cascade). So the account needs no cascade of its own, nor the index that cascade would read, whose upkeep
    # was the costliest of the table's (every fact of an account shares one key) on a large import.
    account = models.ForeignKey(SocialAccount, on_delete=models.DO_NOTHING, related_name="+", db_constraint=False,
                                db_index=False)
    platform = models.CharField(max_length=20, choices=PlatformChoices.choices)
    media_type = models.CharField(max_length=10, choices=MediaType.choices)
    paid_kind = models.CharField(max_length=20, choices=PaidKind.choices, blank=True, default="")
    traffic = models.CharField(max_length=10, choices=Traffic.choices)
    content_format = models.CharField(max_length=20, choices=ContentFormat.choices)
    campaign_id = models.BigIntegerField(null=True, blank=True)
    day = models.DateField()
    interval_start = models.DateTimeField(null=True, blank=True)
    source = models.CharField(max_length=10, choices=FactSource.choices, default=FactSource.DELTA)
    decreased = models.BooleanField(default=False)
    extra = models.JSONField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization", "post", "day"], name="uniq_fact_post_day")]
        indexes = [
            # Covering for the per-post values (medians, rankings): the post and the metrics every default question
            # reads (each platform's engagement inputs, views, impressions), so a brand-period is one index range.
            models.Index(
                fields=["organization", "brand", "day"],
                name="fact_org_brand_day_cov",
                include=["post", "impressions", "views", "likes", "comments", "shares", "collects", "wows",
                         "recommends", "coins", "danmaku"],
            ),
            # No (organization, brand, platform, day) index: the engine reads facts through the covering index
            # above (a platform filter joins the posts), and its upkeep cost a 1 M-row import ~3 s.
        ]


class PostTotal(TenantModel, PostMetricColumns):
    """One post's daily facts summed over its whole life: Σ of each column (NULL when no fact reported it), the
    number of facts, and the first and last fact day. Kept exact by every write of facts, in the same transaction
    (``metrics.services.facts.post_totals_rebuild``): the loader's ``finish``, ``posts_refresh``.

    Why: the KPI engine's per-post value of a post over a period is Σ of its facts on the period's days; when every
    fact of the post lies inside the period (``first_day`` ≥ start, ``last_day`` ≤ end: every post published in a
    period that ends today) that is exactly this row, so a brand-year reads ~50,000 of these rows instead of
    summing ~550,000 facts. The post's dimensions stay on ``Post`` (the engine joins it anyway): nothing here
    changes when a post is re-dimensioned or tagged.
    """

    tenant_brand_path = "brand"

    # No database constraints, like the facts': the rows are written from the facts in the transaction that wrote
    # them, and deleting a post, brand or organization deletes its total through the ORM's cascade.
    organization = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="+",
                                     db_constraint=False, db_index=False)
    # The post keeps its index: it is the cascade's lookup when a post is deleted.
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="+", db_constraint=False)
    brand = models.ForeignKey("accounts.Brand", on_delete=models.CASCADE, related_name="+", db_constraint=False,
                              db_index=False)
    first_day = models.DateField()
    last_day = models.DateField()
    facts = models.IntegerField(default=0)
    # A fact on a day before the post's publication day (Beijing time): rare (a daily report's rows before the
    # post's date), and the one case where a post published in a period has facts before the period's start.
    facts_before_publication = models.BooleanField(default=False)
    published_at = models.DateTimeField(null=True, blank=True)  # the post's, when the row was written
    # From the post's snapshots (NULL without any), for the anomaly check of bought early volume: its last
    # collection, its last collection within ``EARLY_HOURS`` of publication, and per count the highest value
    # reported in that window and over its whole life (cumulative counters: the count at that time).
    last_collected_at = models.DateTimeField(null=True, blank=True)
    early_collected_at = models.DateTimeField(null=True, blank=True)
    early_views = models.FloatField(null=True, blank=True)
    early_likes = models.FloatField(null=True, blank=True)
    early_comments = models.FloatField(null=True, blank=True)
    early_shares = models.FloatField(null=True, blank=True)
    max_views = models.FloatField(null=True, blank=True)
    max_likes = models.FloatField(null=True, blank=True)
    max_comments = models.FloatField(null=True, blank=True)
    max_shares = models.FloatField(null=True, blank=True)

    # The early-surge check with its default thresholds over the post's whole life (``metrics.kpis.anomalies``):
    # ``early_checked``, it has a collection within EARLY_HOURS of publication and one at least EARLY_MIN_AGE_HOURS
    # after it; ``early_surge``, it is checked and a count of at least EARLY_MIN_TOTAL had at least EARLY_SHARE of
    # it reported within EARLY_HOURS.
    early_surge = models.BooleanField(default=False, db_default=False)
    early_checked = models.BooleanField(default=False, db_default=False)  # an early and a late enough collection

    EARLY_HOURS = 3  # the early window the snapshot figures are kept for (``AnomalyThresholds.early_hours``)
    EARLY_METRICS = ("views", "likes", "comments", "shares")
    EARLY_SHARE = 0.5  # the defaults of ``AnomalyThresholds`` that ``early_surge`` is computed with
    EARLY_MIN_TOTAL = 100
    EARLY_MIN_AGE_HOURS = 24

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization", "post"], name="uniq_post_total_post")]
        indexes = [
            # Covering, like ``fact_org_brand_day_cov``: the posts of a brand whose facts start in a period, with
            # their last fact day and the metrics every default question reads (an index-only range scan).
            models.Index(
                fields=["organization", "brand", "first_day"],
                name="total_org_brand_first_cov",
                include=["post", "last_day", "impressions", "views", "likes", "comments", "shares", "collects",
                         "wows", "recommends", "coins", "danmaku"],
            ),
            # The posts still collecting after a period's end (``queries.post_values_sql``'s stragglers).
            models.Index(fields=["organization", "brand", "last_day"], name="total_org_brand_last",
                         include=["post", "first_day"]),
            models.Index(fields=["organization", "brand", "last_day"], name="total_org_brand_early",
                         include=["post", "first_day"], condition=models.Q(facts_before_publication=True)),
            # Covering for the early-surge check: the posts published in a period and their snapshot figures.
            models.Index(fields=["organization", "brand", "published_at"], name="total_org_brand_pub_snap",
                         include=["post", "last_collected_at", "early_collected_at", "early_views", "early_likes",
                                  "early_comments", "early_shares", "max_views", "max_likes", "max_comments",
                                  "max_shares"]),
            # The few posts flagged by the early-surge check with its default thresholds.
            models.Index(fields=["organization", "brand", "published_at"], name="total_org_brand_pub_surge",
                         condition=models.Q(early_surge=True)),
        ]

    def __str__(self):
        return f"post {self.post_id}: {self.first_day} … {self.last_day}"


class AccountDailyFact(TenantModel, AccountMetricColumns):
    """An account's figures for one day (followers total, gained, lost, net, mentions, reads…).

    ``unsettled`` marks a day the platform has not finished counting (XHS's last trend day): shown, not summed.
    """

    tenant_brand_path = "brand"

    account = models.ForeignKey(SocialAccount, on_delete=models.CASCADE, related_name="daily_facts")
    brand = models.ForeignKey("accounts.Brand", on_delete=models.CASCADE, related_name="+")
    platform = models.CharField(max_length=20, choices=PlatformChoices.choices)
    day = models.DateField()
    unsettled = models.BooleanField(default=False)
    batch = models.ForeignKey("ImportBatch", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    extra = models.JSONField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "account", "day"], name="uniq_account_fact_day")
        ]
        indexes = [models.Index(fields=["organization", "brand", "day"], name="acctfact_org_brand_day")]


class DailyRollup(TenantModel, PostMetricColumns):
    """Post facts summed per (brand, account, platform, media type, paid kind, traffic, format, campaign,
    category, day). ``category`` NULL rows cover all posts; a row per category adds the tagged posts again,
    so never add category rows to the NULL rows. Maintained by the import in its own transaction."""

    tenant_brand_path = "brand"

    brand = models.ForeignKey("accounts.Brand", on_delete=models.CASCADE, related_name="+")
    account = models.ForeignKey(SocialAccount, on_delete=models.CASCADE, related_name="+")
    platform = models.CharField(max_length=20, choices=PlatformChoices.choices)
    media_type = models.CharField(max_length=10, choices=MediaType.choices)
    paid_kind = models.CharField(max_length=20, choices=PaidKind.choices, blank=True, default="")
    traffic = models.CharField(max_length=10, choices=Traffic.choices)
    content_format = models.CharField(max_length=20, choices=ContentFormat.choices)
    campaign_id = models.BigIntegerField(null=True, blank=True)
    category = models.ForeignKey(ContentCategory, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    day = models.DateField()
    posts = models.IntegerField(default=0)  # posts with a fact that day

    class Meta:
        indexes = [
            models.Index(fields=["organization", "brand", "day"], name="rollup_org_brand_day"),
            models.Index(fields=["organization", "day"], name="rollup_org_day"),
            # Covering and partial: the KPI sums without a category filter read the "all posts" rows only, whose
            # pages the category rows would otherwise interleave. Every metric and the dashboards' usual filters
            # are in the index (PostgreSQL's limit is 32 columns: a paid kind, format or campaign filter reads the
            # table too).
            models.Index(
                fields=["organization", "brand", "day"],
                name="rollup_org_brand_day_all_cov",
                include=["platform", "account", "media_type", "traffic", *COLUMN_METRICS],
                condition=models.Q(category__isnull=True),
            ),
        ]


class _AccountDay(TenantModel):
    """The key of the coarse rollups: (brand, account, platform, media type, day)."""

    tenant_brand_path = "brand"

    brand = models.ForeignKey("accounts.Brand", on_delete=models.CASCADE, related_name="+")
    account = models.ForeignKey(SocialAccount, on_delete=models.CASCADE, related_name="+", db_index=False)
    platform = models.CharField(max_length=20, choices=PlatformChoices.choices)
    media_type = models.CharField(max_length=10, choices=MediaType.choices)
    day = models.DateField()
    posts = models.IntegerField(default=0)

    class Meta:
        abstract = True


class AccountDayRollup(_AccountDay, PostMetricColumns):
    """The daily rollup's all-posts rows (``category`` NULL) summed per (brand, account, platform, media type,
    day): what the KPI engine reads when the scope filters nothing finer than those (no paid kind, traffic,
    format, campaign or category), which is every overview card, a brand's headline KPIs, its trend, its owned /
    paid / earned split and most anomaly checks. A brand-day holds a row per account instead of one per
    combination of the finer dimensions (~15 times fewer rows on the benchmark's data). Rebuilt from
    ``DailyRollup`` over the same days, in the same transaction (``metrics.services.facts.rollup_rebuild``).
    ``posts``: Σ of the rollup's posts with a fact that day."""

    class Meta:
        indexes = [
            models.Index(fields=["organization", "brand", "day"], name="acctday_org_brand_day"),
            models.Index(fields=["account"], name="acctday_account"),  # the account's cascade
        ]


class PublishedDay(_AccountDay):
    """Posts per (brand, account, platform, media type, publication day in ``settings.TIME_ZONE``), with what the
    early-surge check needs of them: how many it can check and the last collection of any of them. The engine
    counts ``posts_published`` and each account's push days from here when the scope filters nothing finer (as
    ``AccountDayRollup``) instead of grouping the posts of the period. Rebuilt with the posts' totals
    (``metrics.services.facts.published_days_rebuild``). ``day`` is the publication day, ``posts`` the posts
    published on it."""
    # Posts with a collection within ``PostTotal.EARLY_HOURS`` of publication and one at least
    # ``PostTotal.EARLY_MIN_AGE_HOURS`` after it (the posts the early-surge check with its default thresholds
    # looks at), and the last collection of any post of the row (NULL without snapshots).
    early_checked = models.IntegerField(default=0)
    last_collected_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["organization", "brand", "day"], name="pubday_org_brand_day"),
            models.Index(fields=["account"], name="pubday_account"),  # the account's cascade
        ]


class ImportBatch(TenantModel):
    """One uploaded file and what became of it: who, what, when, status, progress, counts and errors."""

    tenant_brand_path = "brand"

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")

    class Mode(models.TextChoices):
        VALID_ROWS = "valid_rows", _("Load the valid rows, report the others")
        ALL_OR_NOTHING = "all_or_nothing", _("All rows or nothing")

    brand = models.ForeignKey("accounts.Brand", on_delete=models.CASCADE, related_name="import_batches")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    file = models.FileField(upload_to="imports/%Y/%m/", max_length=500)
    original_name = models.CharField(max_length=300)
    sha256 = models.CharField(max_length=64)
    size = models.BigIntegerField(default=0)
    platform = models.CharField(max_length=20, choices=PlatformChoices.choices, blank=True)
    platform_forced = models.BooleanField(default=False)
    report_kind = models.CharField(max_length=60, blank=True)
    file_type = models.CharField(max_length=10, blank=True)
    encoding = models.CharField(max_length=20, blank=True)
    as_of = models.DateTimeField(_("data as of"), null=True, blank=True)
    mode = models.CharField(max_length=20, choices=Mode.choices, default=Mode.VALID_ROWS)
    mapping_template = models.ForeignKey(
        "MappingTemplate", on_delete=models.SET_NULL, null=True, blank=True, related_name="batches"
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    message = models.TextField(blank=True)
    duplicate_of = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    rows_total = models.IntegerField(null=True, blank=True)
    rows_done = models.IntegerField(default=0)
    rows_ok = models.IntegerField(default=0)
    rows_error = models.IntegerField(default=0)
    rows_skipped = models.IntegerField(default=0)
    posts_created = models.IntegerField(default=0)
    posts_updated = models.IntegerField(default=0)
    snapshots = models.IntegerField(default=0)
    facts = models.IntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)  # [{"row", "column", "value", "message"}], capped
    attempts = models.IntegerField(default=0)
    claimed_by = models.CharField(max_length=200, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["organization", "brand", "-created_at"], name="batch_org_brand_created"),
            models.Index(fields=["organization", "sha256"], name="batch_org_sha"),
            models.Index(fields=["status", "heartbeat_at"], name="batch_status_heartbeat"),
        ]
        ordering = ["-created_at"]
        verbose_name = _("import batch")
        verbose_name_plural = _("import batches")

    def __str__(self):
        return f"#{self.pk} {self.original_name} ({self.status})"

    @property
    def progress(self) -> float | None:
        if not self.rows_total:
            return 1.0 if self.status == self.Status.SUCCEEDED else None
        return min(1.0, self.rows_done / self.rows_total)


class MappingTemplate(TenantModel):
    """A user's saved column mapping for a layout kpiboard does not know: later uploads whose headers have
    the same signature use it automatically."""

    class Level(models.TextChoices):
        POST = "post", _("One row per post")
        ACCOUNT = "account", _("One row per account and day")

    class Basis(models.TextChoices):
        CUMULATIVE = "cumulative", _("Lifetime totals as of the collection")
        DAILY = "daily", _("Values of the row's day")

    name = models.CharField(max_length=200)
    platform = models.CharField(max_length=20, choices=PlatformChoices.choices)
    level = models.CharField(max_length=10, choices=Level.choices, default=Level.POST)
    basis = models.CharField(max_length=12, choices=Basis.choices, default=Basis.CUMULATIVE)
    headers = models.JSONField(default=list)
    signature = models.CharField(max_length=64)
    mapping = models.JSONField(default=dict)  # {header: target}
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "signature"], name="uniq_mapping_signature")
        ]
        ordering = ["name"]

    def __str__(self):
        return self.name
