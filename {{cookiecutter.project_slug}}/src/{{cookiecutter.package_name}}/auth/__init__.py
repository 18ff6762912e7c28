"""The service as an OAuth 2 / OIDC resource server: it verifies the bearer tokens an identity
provider issues and checks their scopes; it never logs anyone in."""
