//! The users service: accounts, passwords, tokens, TOTP, JWKS
