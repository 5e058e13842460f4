from django.contrib import admin

from campaigns.models import Campaign


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ["name", "brand", "organization", "starts_on", "ends_on"]
    list_filter = ["organization"]
    search_fields = ["name", "utm_campaign"]
