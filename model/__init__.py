"""The served model as package data: installed, this folder is ``fer.model_files`` (see pyproject.toml)."""
