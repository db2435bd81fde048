"""One package per emulated service (moto-style: routes / responses / backend)."""
