from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from wangge.audit import services as audit
from wangge.core.management.base import WanggeCommand
from wangge.core.scenes import SceneError, apply_scene, available_scenes


class Command(WanggeCommand):
    help = "Apply a scene (scenes/NAME.yaml): grid levels, kinds, roles, departments..."

    def add_arguments(self, parser):
        parser.add_argument("name", help=f"one of {', '.join(available_scenes())}, or a path to a YAML file")

    def handle(self, *args, **options):
        try:
            applied = apply_scene(options["name"])
        except SceneError as exc:
            raise CommandError(_("场景有误：") + "\n" + "\n".join(exc.messages)) from exc
        audit.record(audit.Action.SCENE, object_type="scene", object_repr=applied.title)
        self.stdout.write(_("已应用场景：%(title)s") % {"title": applied.title})
