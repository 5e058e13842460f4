"""The category tree: defaults seeded with a new organization, the flat list and ?tree=1, depth and cycle rules."""

import pytest

from accounts.models import Role
from accounts.services import organization_ensure
from metrics.models import ContentCategory, PostCategory
from metrics.services.categories import DEFAULT_TREE, categories_seed_defaults
from tests.factories import BrandFactory, ContentCategoryFactory, OrganizationFactory, PostFactory


def url(org, pk=None):
    base = f"/api/v1/orgs/{org.slug}/categories/"
    return base if pk is None else f"{base}{pk}/"


def count_nodes(nodes) -> int:
    return sum(1 + count_nodes(children) for _name, _zh, children in nodes)


@pytest.fixture
def api(client_as):
    return client_as(Role.MARKETER)


@pytest.fixture
def bare_org(db):
    """An organization without the default tree, so counts and names below are the test's own."""
    org = OrganizationFactory(slug="bare")
    ContentCategory.objects.filter(organization=org).delete()
    return org


# Seeding ------------------------------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_a_new_organization_gets_the_default_tree_once():
    org, _ = organization_ensure("fresh", name="Fresh 新")
    tree = ContentCategory.objects.filter(organization=org)
    assert tree.count() == count_nodes(DEFAULT_TREE)
    assert tree.get(path="Education / Brand image").name_zh == "品牌形象"
    assert tree.get(path="Audience engage / Trendy topics").depth == 1
    assert tree.get(path="Product promotion / Celebrity collaboration").parent.name == "Product promotion"
    assert tree.get(path="Paid content / Influencer content / Influencer livestream").depth == 2
    for name in ("Educational content", "Shoppable content", "Brand livestream", "Skit series", "Promoted content",
                 "Paid ads", "Influencer content", "Trending topics"):
        assert tree.filter(name=name).count() == 1, name
    assert tree.filter(name="Earned content", parent=None).exists()
    assert all(c.name_zh for c in tree)

    assert categories_seed_defaults(org) == 0  # idempotent
    organization_ensure("fresh", name="Fresh 新")
    assert tree.count() == count_nodes(DEFAULT_TREE)


@pytest.mark.django_db
def test_reseeding_restores_what_is_missing_and_keeps_edits(org):
    edited = ContentCategory.objects.get(organization=org, path="Education")
    edited.name_zh = "教育内容"
    edited.save()
    ContentCategory.objects.get(organization=org, path="Audience engage / Lottery").delete()
    assert categories_seed_defaults(org) == 1
    assert ContentCategory.objects.get(organization=org, path="Education").name_zh == "教育内容"


@pytest.mark.django_db
def test_other_organizations_are_untouched_by_a_seed(org, other_org):
    before = ContentCategory.objects.filter(organization=other_org).count()
    ContentCategory.objects.filter(organization=org).delete()
    categories_seed_defaults(org)
    assert ContentCategory.objects.filter(organization=other_org).count() == before


# Flat list and tree -------------------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_flat_items_carry_path_depth_and_children(client_as, bare_org):
    api = client_as(Role.VIEWER, organization=bare_org)
    root = ContentCategoryFactory(organization=bare_org, name="Education", name_zh="教育")
    child = ContentCategoryFactory(organization=bare_org, name="Beauty knowledge", parent=root)
    variant = ContentCategoryFactory(organization=bare_org, name="Skin care", parent=child)
    rows = {row["id"]: row for row in api.get(url(bare_org)).json()["results"]}
    assert rows[root.pk]["children"] == [child.pk] and rows[root.pk]["parent"] is None
    assert rows[variant.pk]["path"] == ["Education", "Beauty knowledge", "Skin care"]
    assert rows[variant.pk]["depth"] == 2 and rows[variant.pk]["parent"] == child.pk
    assert rows[root.pk]["name_zh"] == "教育"


@pytest.mark.django_db
def test_tree_is_nested_and_unpaginated(client_as, bare_org, django_assert_max_num_queries):
    api = client_as(Role.VIEWER, organization=bare_org)
    b_root = ContentCategoryFactory(organization=bare_org, name="Product promotion")
    a_root = ContentCategoryFactory(organization=bare_org, name="Audience engage")
    lottery = ContentCategoryFactory(organization=bare_org, name="Lottery", parent=a_root)
    ContentCategoryFactory(organization=bare_org, name="Weekly draw", parent=lottery)
    for i in range(60):
        ContentCategoryFactory(organization=bare_org, name=f"Product {i:02}", parent=b_root)
    with django_assert_max_num_queries(2):  # membership, all nodes
        response = api.get(url(bare_org), {"tree": "1"})
    tree = response.json()
    assert [node["name"] for node in tree] == ["Audience engage", "Product promotion"]
    assert tree[0]["children"][0]["name"] == "Lottery"
    assert tree[0]["children"][0]["children"][0]["path"] == ["Audience engage", "Lottery", "Weekly draw"]
    assert len(tree[1]["children"]) == 60


@pytest.mark.django_db
def test_list_query_count_does_not_grow(client_as, bare_org, django_assert_max_num_queries):
    api = client_as(Role.VIEWER, organization=bare_org)
    for root in ContentCategoryFactory.create_batch(20, organization=bare_org):
        ContentCategoryFactory.create_batch(2, organization=bare_org, parent=root)
    with django_assert_max_num_queries(4):  # membership, count, page, children
        assert len(api.get(url(bare_org), {"page_size": 60}).json()["results"]) == 60


# Writes -------------------------------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_create_rename_and_move(api, org):
    root = api.post(url(org), {"name": "Seasonal", "name_zh": "节日"}, format="json").json()
    child = api.post(url(org), {"name": "Double 11", "parent": root["id"]}, format="json").json()
    assert child["depth"] == 1 and child["path"] == ["Seasonal", "Double 11"]
    renamed = api.patch(url(org, root["id"]), {"name": "Festivals"}, format="json")
    assert renamed.status_code == 200
    assert api.get(url(org, child["id"])).json()["path"] == ["Festivals", "Double 11"]
    education = ContentCategory.objects.get(organization=org, path="Education")
    moved = api.patch(url(org, child["id"]), {"parent": education.pk}, format="json")
    assert moved.json()["path"] == ["Education", "Double 11"]


@pytest.mark.django_db
def test_a_fourth_level_is_refused(api, org):
    variant = ContentCategory.objects.get(organization=org, path__endswith="Influencer livestream")
    response = api.post(url(org), {"name": "Too deep", "parent": variant.pk}, format="json")
    assert response.status_code == 400
    assert "parent" in response.json()


@pytest.mark.django_db
def test_moving_a_subtree_that_would_grow_too_deep_is_refused(api, org):
    """The node itself would fit; its children (or a root's grandchildren) would land on a fourth level."""
    influencer = ContentCategory.objects.get(organization=org, path="Paid content / Influencer content")
    paid = ContentCategory.objects.get(organization=org, path="Paid content")
    education = ContentCategory.objects.get(organization=org, path="Education")
    brand_image = ContentCategory.objects.get(organization=org, path="Education / Brand image")
    assert api.patch(url(org, influencer.pk), {"parent": brand_image.pk}, format="json").status_code == 400
    assert api.patch(url(org, paid.pk), {"parent": education.pk}, format="json").status_code == 400
    influencer.refresh_from_db()
    assert influencer.path == "Paid content / Influencer content"
    moved = api.patch(url(org, influencer.pk), {"parent": education.pk}, format="json")  # variants on level 3: fine
    assert moved.status_code == 200
    assert ContentCategory.objects.filter(organization=org, path="Education / Influencer content / "
                                                                  "Influencer livestream").exists()


@pytest.mark.django_db
@pytest.mark.parametrize("target", ["self", "child"])
def test_cycles_are_refused(bare_org, client_as, target):
    api = client_as(Role.MARKETER, organization=bare_org)
    root = ContentCategoryFactory(organization=bare_org, name="Root")
    child = ContentCategoryFactory(organization=bare_org, name="Child", parent=root)
    parent = root if target == "self" else child
    response = api.patch(url(bare_org, root.pk), {"parent": parent.pk}, format="json")
    assert response.status_code == 400
    assert "ancestor" in str(response.json()["parent"])
    root.refresh_from_db()
    assert root.parent_id is None


@pytest.mark.django_db
def test_another_organizations_parent_is_refused(api, org, other_org):
    theirs = ContentCategoryFactory(organization=other_org)
    response = api.post(url(org), {"name": "Sneaky", "parent": theirs.pk}, format="json")
    assert response.status_code == 400
    assert not ContentCategory.objects.filter(name="Sneaky").exists()


@pytest.mark.django_db
def test_sibling_names_are_unique_even_at_the_root(api, org):
    assert api.post(url(org), {"name": "Education"}, format="json").status_code == 400
    education = ContentCategory.objects.get(organization=org, path="Education")
    assert api.post(url(org), {"name": "Brand image", "parent": education.pk}, format="json").status_code == 400
    assert api.post(url(org), {"name": "Brand image"}, format="json").status_code == 201  # a root of that name


@pytest.mark.django_db
@pytest.mark.parametrize(("role", "allowed"), [(Role.OWNER, True), (Role.MANAGER, True), (Role.MARKETER, True),
                                               (Role.VIEWER, False), (Role.CLIENT, False)])
def test_who_manages_categories(client_as, org, role, allowed):
    api = client_as(role)
    response = api.post(url(org), {"name": f"By {role}"}, format="json")
    assert response.status_code == (201 if allowed else 403)


@pytest.mark.django_db
def test_deleting_a_category_takes_its_subtree_and_taggings_and_bumps_the_brands(api, org):
    brand = BrandFactory(organization=org)
    promotion = ContentCategory.objects.get(organization=org, path="Product promotion")
    celebrity = ContentCategory.objects.get(organization=org, path="Product promotion / Celebrity collaboration")
    post = PostFactory(organization=org, brand=brand)
    PostCategory.objects.create(organization=org, post=post, category=celebrity)
    assert api.delete(url(org, promotion.pk)).status_code == 204
    assert not ContentCategory.objects.filter(organization=org, path__startswith="Product promotion").exists()
    assert not PostCategory.objects.filter(post=post).exists()
    brand.refresh_from_db()
    assert brand.data_version == 1
