# The daily facts' writes, made cheaper for large imports (see PostDailyFact in metrics/models.py): the post's
# deferred foreign-key check, the account's cascade and index, and the unused (organization, brand, platform, day)
# index go.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('metrics', '0003_kpi_covering_indexes'),
    ]

    operations = [
        migrations.AlterField(
            model_name='postdailyfact',
            name='post',
            field=models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.CASCADE, related_name='daily_facts', to='metrics.post'),
        ),
        migrations.AlterField(
            model_name='postdailyfact',
            name='account',
            field=models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='metrics.socialaccount'),
        ),
        migrations.RemoveIndex(
            model_name='postdailyfact',
            name='fact_org_brand_plat_day',
        ),
    ]
