from django.contrib.auth import get_user_model
from rest_framework import serializers

from accounts.api.mixins import TenantModelSerializer
from accounts.models import Brand, BrandGrant, Membership, Organization, Role


class OrganizationSerializer(serializers.ModelSerializer):
    role = serializers.SerializerMethodField()

    class Meta:
        model = Organization
        fields = ["id", "name", "slug", "kind", "default_language", "role"]

    def get_role(self, obj) -> str | None:
        roles = self.context.get("roles", {})
        return roles.get(obj.pk)


class UserSerializer(serializers.ModelSerializer):
    class Meta:
        model = get_user_model()
        fields = ["id", "email", "full_name"]


class BrandSerializer(TenantModelSerializer):
    class Meta:
        model = Brand
        fields = ["id", "name", "slug", "industry", "is_competitor", "created_at", "updated_at"]
        read_only_fields = ["created_at", "updated_at"]

    def validate_slug(self, value):
        org = self.context["organization"]
        clash = Brand.objects.for_org(org).filter(slug=value)
        if self.instance is not None:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise serializers.ValidationError("A brand with this slug already exists in this organization.")
        return value


class MembershipSerializer(TenantModelSerializer):
    email = serializers.EmailField(source="user.email")
    full_name = serializers.CharField(source="user.full_name", read_only=True)
    brands = serializers.PrimaryKeyRelatedField(
        many=True, queryset=Brand.objects.all(), required=False, source="granted_brands", write_only=True,
        help_text="Brands granted to a client member.",
    )

    class Meta:
        model = Membership
        fields = ["id", "email", "full_name", "role", "brands", "created_at"]
        read_only_fields = ["created_at"]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["brands"] = [g.brand_id for g in instance.grants.all()]
        return data

    def validate_email(self, value):
        return value.lower()

    def validate(self, attrs):
        org = self.context["organization"]
        email = attrs.get("user", {}).get("email")
        if self.instance is None and email:
            if Membership.objects.for_org(org).filter(user__email=email).exists():
                raise serializers.ValidationError({"email": "This person is already a member."})
        elif self.instance is not None and email and email != self.instance.user.email:
            raise serializers.ValidationError({"email": "The e-mail of a membership cannot be changed."})
        return attrs

    def _save_grants(self, membership, brands):
        if brands is None:
            return
        BrandGrant.objects.for_org(membership.organization).filter(membership=membership).exclude(
            brand__in=brands
        ).delete()
        for brand in brands:
            BrandGrant.objects.get_or_create(organization=membership.organization, membership=membership, brand=brand)

    def create(self, validated_data):
        user_data = validated_data.pop("user")
        brands = validated_data.pop("granted_brands", None)
        user, _ = get_user_model().objects.get_or_create(
            email=user_data["email"], defaults={"is_active": True}
        )
        if not user.has_usable_password():
            user.set_unusable_password()
            user.save(update_fields=["password"])
        membership = Membership.objects.create(user=user, **validated_data)
        self._save_grants(membership, brands if membership.role == Role.CLIENT else [])
        return membership

    def update(self, instance, validated_data):
        validated_data.pop("user", None)
        brands = validated_data.pop("granted_brands", None)
        instance = super().update(instance, validated_data)
        if instance.role != Role.CLIENT:
            brands = []
        self._save_grants(instance, brands)
        return instance
