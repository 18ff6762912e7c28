"""What the service tells its operators: logs, access log{% if cookiecutter.metrics %}, metrics{% endif %}{% if cookiecutter.tracing %}, traces{% endif %}."""
