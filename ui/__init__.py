"""The app's Streamlit pages: the only code that imports Streamlit or reads the environment and secrets.

``app.py`` picks a page; :mod:`ui.settings` turns the sidebar, the environment and the secrets into
library settings; :mod:`ui.webcam`, :mod:`ui.uploads` draw the pages; :mod:`ui.charts` the charts.
"""
