# The review phase's `is_open` flag becomes an explicit state (not_opened, open, closed), moved by
# review.workflow.PHASE. A phase that was open is open; one that opened once and is shut now is
# closed; one never opened (opened_at empty) stays not opened.

from django.db import migrations, models


def flag_to_state(apps, schema_editor):
    ReviewPhase = apps.get_model("review", "ReviewPhase")
    ReviewPhase.objects.filter(is_open=True).update(state="open")
    ReviewPhase.objects.filter(is_open=False, opened_at__isnull=False).update(state="closed")


def state_to_flag(apps, schema_editor):
    ReviewPhase = apps.get_model("review", "ReviewPhase")
    ReviewPhase.objects.filter(state="open").update(is_open=True)


class Migration(migrations.Migration):

    dependencies = [
        ("review", "0003_scoring_reminder"),
    ]

    operations = [
        migrations.AddField(
            model_name="reviewphase",
            name="state",
            field=models.CharField(
                choices=[
                    ("not_opened", "尚未开放评分"),
                    ("open", "评分进行中"),
                    ("closed", "评分已关闭"),
                ],
                default="not_opened",
                max_length=16,
                verbose_name="状态",
            ),
        ),
        migrations.RunPython(flag_to_state, state_to_flag),
        migrations.RemoveField(model_name="reviewphase", name="is_open"),
        migrations.AddConstraint(
            model_name="reviewphase",
            constraint=models.CheckConstraint(
                condition=models.Q(("state", "not_opened"), ("opened_at__isnull", False), _connector="OR"),
                name="review_phase_opened_at",
            ),
        ),
    ]
