{%- if cookiecutter.database != "none" -%}
"""Redis for the service: cache-aside reads and rate limiting, both degrading instead of failing."""
{%- else -%}
"""Redis for the service: rate limiting that degrades instead of failing."""
{%- endif %}
