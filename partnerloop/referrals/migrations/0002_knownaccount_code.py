"""An opaque public code for known accounts (URLs never carry sequential ids)."""

from django.db import migrations, models

import partnerloop.accounts.models


def fill_codes(apps, schema_editor):
    KnownAccount = apps.get_model("referrals", "KnownAccount")
    for account in KnownAccount.objects.filter(code__isnull=True).only("pk"):
        account.code = partnerloop.accounts.models.short_code()
        account.save(update_fields=["code"])


class Migration(migrations.Migration):
    dependencies = [
        ("referrals", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="knownaccount",
            name="code",
            field=models.CharField(editable=False, max_length=12, null=True),
        ),
        migrations.RunPython(fill_codes, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="knownaccount",
            name="code",
            field=models.CharField(
                default=partnerloop.accounts.models.short_code,
                editable=False,
                max_length=12,
                unique=True,
            ),
        ),
    ]
