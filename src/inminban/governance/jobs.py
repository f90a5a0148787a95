"""Governance's scheduled work, run by the project's one job mechanism (`inminban tick` / `inminban worker`)."""
