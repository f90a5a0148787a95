"""The integrity scan (built by the integrity helper)."""


def integrity_scan(*, progress=None) -> dict:
    raise NotImplementedError
