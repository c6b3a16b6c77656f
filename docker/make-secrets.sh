#!/bin/sh
# Writes the secrets docker-compose.yml hands to its containers: 256 random bits each, in
# ./secrets/ (a directory only you can enter; the files are world-readable inside it
# because the containers read them as their own unprivileged users). Keeps existing files:
# a new INSZ key would orphan every stored pseudonym, a new database password lock the API out.
set -eu
cd "$(dirname "$0")/.."
umask 077
mkdir -p secrets
chmod 700 secrets
for name in db_password token_signing_key insz_hmac_key; do
  if [ -s "secrets/$name" ]; then
    echo "secrets/$name exists, kept"
    continue
  fi
  python3 -c 'import secrets; print(secrets.token_urlsafe(32))' >"secrets/$name"
  chmod 644 "secrets/$name"
  echo "secrets/$name written"
done
