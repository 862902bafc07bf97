"""Reading Spark event logs from wherever they are and however they are stored.

``sources`` finds the ordered parts of one application's log (a file, a rolling ``eventlog_v2_*``
folder, Databricks hourly parts, a zip bundle, S3, DBFS or a Unity Catalog volume); ``compression``
undoes Spark's codecs; ``reader`` streams the parts as events, counting what it had to skip.
"""

from airflow_agora.prediction.eventlog.errors import EventLogError
from airflow_agora.prediction.eventlog.reader import EventStream, read_events

__all__ = ["EventLogError", "EventStream", "read_events"]
