"""The project's own figures as a Prometheus textfile (issue 17): node exporter's textfile
collector reads ``<state_dir>/metrics/hymail.prom``."""
