"""An HTTPS emulator of the Microsoft cloud endpoints skytally calls.

Separate from the product: skytally never imports this package, and this package
never imports skytally. Tests and the demo launcher start it; the product reaches it
only through configured endpoints, exactly as it reaches Azure.
"""
