from __future__ import annotations

from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticStorage(CompressedManifestStaticFilesStorage):
    """Hashed, compressed static files after collectstatic; plain names before it.

    Tests and a first run have no manifest yet: the files are then found by the staticfiles
    finders under their own names (WhiteNoise serves them from the app directories).
    """

    def stored_name(self, name: str) -> str:
        if not self.hashed_files:
            return name
        return super().stored_name(name)
