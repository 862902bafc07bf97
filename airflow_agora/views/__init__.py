"""What the UI plugin shows, as HTML and SVG built on the server from history values (Airflow-free;
the plugin in :mod:`airflow_agora.plugins` serves it)."""
