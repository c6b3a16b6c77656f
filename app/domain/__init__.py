"""Pure rules of OpenPas: standard library only, dataclasses in, dataclasses out.

The price calculation lives in `pricing.price`; the schemes it reads are defined in
`schemes` and built from the small modules next to it (conditions, price rules, limits,
funding). Nothing here talks to a database or a web framework.
"""
