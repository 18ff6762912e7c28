"""Events between services: what this service publishes and consumes, and how it is carried."""
